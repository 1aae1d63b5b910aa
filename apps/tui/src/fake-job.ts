/**
 * `rlhf _fake-job` (hidden): a scripted, demo-shaped event stream over a few seconds, with no training math.
 * It obeys pause, save and stop like a real job, and with --out writes a demo-style run directory, so the
 * live view, the plain output, `rlhf eval` and scripts/tui-check.sh can be exercised without the engine.
 */
import { join } from 'node:path';
import { type JobEvent, JobSwitch, Run } from '@rlhfkit/io';
import { z } from 'zod';
import type { JobRunner } from './jobs/specs.js';

export const fakeJobOptions = z.strictObject({
  duration: z.number().positive().default(5).describe('seconds the scripted job takes'),
  out: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'write a demo-style run directory here', path: true }),
  fail: z.boolean().default(false).describe('fail halfway through the last stage (exit code 1)'),
});

const stages = [
  { name: 'pretrain', steps: 40 },
  { name: 'train-rm', steps: 30 },
  { name: 'ppo', steps: 50 },
] as const;

function metricsFor(stage: string, step: number, n: number, noise: () => number): Record<string, number> {
  const x = step / n;
  if (stage === 'pretrain') return { loss: 5.5 - 3 * x + 0.1 * noise(), lr: 3e-4 };
  if (stage === 'train-rm') {
    return {
      loss: 0.69 - 0.35 * x + 0.03 * noise(),
      accuracy: 0.5 + 0.35 * x + 0.03 * noise(),
      eval_accuracy: 0.5 + 0.3 * x,
    };
  }
  return {
    'objective/scores': -0.5 + 1.5 * x + 0.1 * noise(),
    'objective/rlhf_reward': -0.5 + 1.3 * x + 0.1 * noise(),
    'objective/kl': 0.4 * x + 0.02 * Math.abs(noise()),
    'loss/policy_avg': -0.02 + 0.01 * noise(),
    'loss/value_avg': 0.3 * (1 - x) + 0.02 * Math.abs(noise()),
    'perf/tokens_per_s': 2000 + 100 * noise(),
  };
}

export const runFakeJob: JobRunner = (rawOptions, emit) => {
  const options = fakeJobOptions.parse(rawOptions);
  const interval = (options.duration * 1000) / stages.reduce((a, s) => a + s.steps, 0);
  const control = new JobSwitch();
  let seed = 42;
  const noise = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return (seed / 2 ** 32) * 2 - 1;
  };
  const open = (dir: string, kind: string, config: unknown) => Run.open(dir, { kind, config, resume: false });
  const root = options.out ? open(options.out, 'demo', options) : undefined;
  let stage: Run | undefined;
  const sink = (e: JobEvent) => emit(e);

  async function run(): Promise<Record<string, unknown>> {
    const seconds: Record<string, number> = {};
    for (const [index, { name, steps }] of stages.entries()) {
      const t0 = Date.now();
      stage = options.out ? open(join(options.out, name), name, { steps }) : undefined;
      const log = stage?.log;
      sink({ type: 'stage', stage: name, index, total: stages.length });
      for (let step = 1; step <= steps; step++) {
        await new Promise((r) => setTimeout(r, interval));
        if (options.fail && name === 'ppo' && step === steps / 2)
          throw new Error('scripted failure in ppo (--fail)');
        const metrics = metricsFor(name, step, steps, noise);
        log?.append('metrics.jsonl', { step, ...metrics });
        sink({ type: 'progress', stage: name, step, total: steps });
        sink({ type: 'metrics', stage: name, step, metrics });
        if (name === 'ppo' && step % 10 === 0) {
          const samples = [0, 1, 2].map((i) => ({
            prompt: `The sea was ${['calm', 'grey', 'wide'][i]} and`,
            completion: [
              'the ship sailed on in joy',
              'the crew sang a happy song',
              'we laughed at the storm',
            ][i]!,
            score: metricsFor(name, step, steps, noise)['objective/scores']! + 0.2 * i,
          }));
          for (const s of samples) log?.append('samples.jsonl', { step, ...s });
          sink({ type: 'samples', stage: name, step, samples });
        }
        if (control.takeSave() || control.stopRequested) {
          const path = join(options.out ?? '.', name, 'checkpoints', `step-${step}`);
          sink({ type: 'checkpoint', stage: name, step, path });
        }
        await control.gate((paused) => {
          root?.status(paused ? 'paused' : 'running');
          if (paused || !control.stopRequested)
            sink({ type: 'status', status: paused ? 'paused' : 'running' });
        });
        if (control.stopRequested) {
          stage?.finish('stopped');
          root?.finish('stopped');
          sink({ type: 'status', status: 'stopped' });
          const summary = { stopped: true, stage: name, step };
          sink({ type: 'done', summary });
          return summary;
        }
      }
      seconds[name] = (Date.now() - t0) / 1000;
      stage?.finish('done');
    }
    const summary = {
      gold_score_before: -0.42,
      gold_score_after: 0.61,
      rm_score_before: -0.5,
      rm_score_after: 1.02,
      kl_to_reference: 0.39,
      rm_eval_accuracy: 0.8,
      seconds_per_stage: seconds,
    };
    root?.finish('done', { summary });
    sink({ type: 'done', summary });
    return summary;
  }

  const done = run().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    stage?.finish('failed', { error: message });
    root?.finish('failed', { error: message });
    sink({ type: 'error', message });
    throw err;
  });
  return { control, done };
};
