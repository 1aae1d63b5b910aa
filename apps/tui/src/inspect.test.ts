import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingIo, tempDir, writeRun } from '../test/helpers.js';
import { main } from './main.js';
import { loadRun, seriesOf, statusOf } from './runs.js';

const ppoRows = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({
    step: i + 1,
    'objective/scores': offset + i / 10,
    'objective/kl': i / 100,
    'loss/policy_avg': -0.01,
    'loss/value_avg': 1 / (i + 1),
  }));

/** A PPO run that is still going: run.json says running, metrics.jsonl ends in a torn line. */
function goingRun(root: string, name = 'ppo-a', offset = 0) {
  const dir = writeRun(join(root, name), {
    kind: 'ppo',
    status: 'running',
    metrics: ppoRows(20, offset),
    torn: true,
  });
  appendFileSync(join(dir, 'eval.jsonl'), `${JSON.stringify({ step: 10, eval_accuracy: 0.7 })}\n`);
  appendFileSync(
    join(dir, 'samples.jsonl'),
    `${JSON.stringify({ step: 20, prompt: 'The whale', completion: 'swam home happy', score: 1.5 })}\n`,
  );
  return dir;
}

/**
 * A demo run as `rlhf demo` writes it: a directory per stage with its metrics and a done.json marker (no
 * run.json of its own), and a summary.json with the before/after figures and the stage times in stage order.
 */
function demoRun(root: string) {
  const dir = join(root, 'demo-1');
  const stage = (name: string, metrics: Record<string, number>[]) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'metrics.jsonl'), metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    writeFileSync(join(dir, name, 'done.json'), JSON.stringify({ seconds: 1 }));
  };
  stage('pretrain', [
    { step: 1, loss: 5 },
    { step: 2, loss: 3 },
  ]);
  stage('ppo', ppoRows(5));
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({
      gold_score_before: -0.4,
      gold_score_after: 0.6,
      rm_score_before: -0.5,
      rm_score_after: 1,
      kl_to_reference: 0.3,
      rm_eval_accuracy: 0.8,
      seconds_per_stage: { pretrain: 60, ppo: 120 },
    }),
  );
  return dir;
}

const rlhf = async (argv: string[], tty = false) => {
  const r = recordingIo({ tty });
  const code = await main(argv, r.io);
  return { code, out: r.out(), err: r.err() };
};

describe('reading run directories', () => {
  it('skips a torn last line and merges eval rows into the series by step', () => {
    const run = loadRun(goingRun(tempDir()));
    expect(run.metrics).toHaveLength(20);
    expect(seriesOf(run, 'objective/scores')).toHaveLength(20);
    expect(seriesOf(run, 'eval_accuracy')).toEqual([0.7]);
  });

  it('flags a run that says running but has written nothing for a long time', () => {
    const run = loadRun(goingRun(tempDir()));
    expect(statusOf(run)).toBe('running');
    expect(statusOf(run, Date.now() + 3600_000)).toContain('killed?');
  });
});

describe('rlhf eval', () => {
  it('shows the reward curve and a first/last/best table of a run that is still going', async () => {
    const r = await rlhf(['eval', goingRun(tempDir())]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ppo-a  (ppo, running, 20 steps)');
    expect(r.out).toContain('reward  (1: objective/scores)');
    expect(r.out).toMatch(/[┤┼]/);
    expect(r.out).toMatch(/metric\s+first\s+last\s+best\s+points/);
    expect(r.out).toMatch(/objective\/scores\s+0\s+1\.9\s+1\.9\s+20/);
    expect(r.out).toMatch(/eval_accuracy\s+0\.7/);
    expect(r.out).toContain('The whale ▸ swam home happy');
    expect(r.out).not.toContain('\u001b[');
  });

  it('shows a demo run with its before/after scores, KL, RM accuracy, stage times and every stage', async () => {
    const r = await rlhf(['eval', demoRun(tempDir())]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/gold score\s+-0\.4\s+0\.6\s+\+1/);
    expect(r.out).toMatch(/RM score\s+-0\.5\s+1\s+\+1\.5/);
    expect(r.out).toMatch(/KL to reference\s+0\.3/);
    expect(r.out).toMatch(/RM eval accuracy\s+0\.8/);
    expect(r.out).toMatch(/ppo\s+120/);
    // Every stage, in the order the demo ran them, done by its marker.
    const pretrain = r.out.indexOf('stage pretrain  (pretrain, done, 2 steps)');
    const ppo = r.out.indexOf('stage ppo  (ppo, done, 5 steps)');
    expect(pretrain).toBeGreaterThan(0);
    expect(ppo).toBeGreaterThan(pretrain);
  });

  it('prints the summary as JSON with --json', async () => {
    const r = await rlhf(['eval', goingRun(tempDir()), '--json']);
    const json = JSON.parse(r.out) as {
      status: string;
      steps: number;
      metrics: Record<string, { last: number }>;
    };
    expect(json.status).toBe('running');
    expect(json.steps).toBe(20);
    expect(json.metrics['objective/scores']?.last).toBeCloseTo(1.9);
  });

  it('draws with colour in a terminal', async () => {
    const r = await rlhf(['eval', goingRun(tempDir())], true);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ppo-a');
    expect(r.out).toContain('objective/scores');
  });

  it('says a missing run directory is not found, and exits 2', async () => {
    const r = await rlhf(['eval', join(tempDir(), 'nope')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('run directory not found');
  });

  it('says an empty directory is not a run directory, and exits 2', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    const r = await rlhf(['eval', join(dir, 'empty')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is empty: no run.json, metrics.jsonl or summary.json');
  });

  it('needs exactly one run directory', async () => {
    expect((await rlhf(['eval'])).code).toBe(2);
    expect((await rlhf(['eval', 'a', 'b'])).err).toContain('give exactly one run directory');
  });
});

describe('rlhf compare', () => {
  it('overlays the reward curves of several runs and tabulates their last values', async () => {
    const root = tempDir();
    const r = await rlhf(['compare', goingRun(root, 'ppo-a'), goingRun(root, 'ppo-b', 1), demoRun(root)]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('compare 3 runs');
    expect(r.out).toContain('reward: objective/scores  (1: ppo-a, 2: ppo-b, 3: demo-1)');
    expect(r.out).toMatch(/ppo-a\s+ppo\s+running\s+20\s+1\.9/);
    expect(r.out).toMatch(/ppo-b\s+ppo\s+running\s+20\s+2\.9/);
    expect(r.out).toMatch(/demo-1\s+-\s+done\s+7/);
    expect(r.out).toMatch(/demo-1\s+-0\.4\s+0\.6\s+\+1\s+0\.3\s+0\.8/);
  });

  it('prints every run as JSON with --json', async () => {
    const root = tempDir();
    const r = await rlhf(['compare', goingRun(root, 'a'), goingRun(root, 'b'), '--json']);
    const json = JSON.parse(r.out) as { runs: { dir: string }[] };
    expect(json.runs.map((x) => x.dir)).toEqual([join(root, 'a'), join(root, 'b')]);
  });

  it('reports which of the runs is missing', async () => {
    const root = tempDir();
    const r = await rlhf(['compare', goingRun(root), join(root, 'gone')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`run directory not found: ${join(root, 'gone')}`);
  });
});
