/**
 * The job registry and the option schema of every job kind.
 *
 * The TUI runs no training math. A job package plugs its runner in here (`jobs.ppo = runPpo`); a kind with no
 * runner is reported as "not available yet" (exit 2). The schemas are the single source of the flags, their
 * defaults and their --help text; option keys are camelCase and their flags kebab-case (klCoef is --kl-coef).
 */

import type { EventSink, JobControl, JobKind } from '@rlhfkit/io';
import { z } from 'zod';
import { workerRunner } from './worker-runner.js';

/** Starts a job; the job reports through `sink` and obeys `control` between steps. */
export type JobRunner = (
  options: Record<string, unknown>,
  sink: EventSink,
) => { control: JobControl; done: Promise<Record<string, unknown>> };

/** Runners plugged in by the job packages. */
export const jobs: Partial<Record<JobKind, JobRunner>> = {};

/**
 * A runner whose module is imported only when a job starts, so `rlhf --help` and `rlhf eval` do not load
 * the engine: `jobs.ppo = lazyRunner(async () => (await import('@rlhfkit/ppo')).runPpoJob)`.
 * Control calls made while the module loads are replayed on the job's own control.
 */
export function lazyRunner(load: () => Promise<JobRunner>): JobRunner {
  return (options, sink) => {
    const queued: (keyof JobControl)[] = [];
    let real: JobControl | undefined;
    const call = (method: keyof JobControl) => () => {
      if (real) real[method]();
      else queued.push(method);
    };
    const control: JobControl = {
      pause: call('pause'),
      resume: call('resume'),
      saveNow: call('saveNow'),
      stop: call('stop'),
    };
    const done = load().then((runner) => {
      const started = runner(options, sink);
      real = started.control;
      for (const method of queued) real[method]();
      return started.done;
    });
    return { control, done };
  };
}

export const jobKinds: readonly JobKind[] = ['demo', 'pretrain', 'train-rm', 'ppo'];

const seed = z.number().int().min(0).default(0).describe('random seed; the same seed gives the same run');
const out = z
  .string()
  .min(1)
  .optional()
  .describe('run directory to write (default: runs/<kind>-<date>-<time>)');
const lr = (value: number) => z.number().positive().default(value).describe('learning rate (AdamW)');
const batch = (value: number, what: string) => z.number().int().min(1).default(value).describe(what);

export const demoOptions = z.strictObject({
  preset: z
    .enum(['default', 'ci'])
    .default('default')
    .describe('default: the full demo (about 10 minutes on 2 cores); ci: a reduced run (about 2 minutes)'),
  out,
  seed,
  threads: z.number().int().min(1).optional().describe('CPU threads for the engine (default: all cores)'),
  device: z.enum(['cpu', 'cuda']).default('cpu').describe('where the engine runs'),
  allowCpuFallback: z
    .boolean()
    .default(false)
    .describe('with --device cuda, run on the CPU when CUDA is not available instead of failing'),
});

export const pretrainOptions = z
  .strictObject({
    data: z
      .string()
      .min(1)
      .describe(
        'training text: a .txt file, .jsonl with a "text" field per line, or .jsonl with "prompt" and "completion" (fine-tuning: loss on the completion only)',
      ),
    out,
    base: z
      .string()
      .min(1)
      .optional()
      .describe(
        'model directory to fine-tune (HF gpt2, llama, qwen2 or qwen3, with tokenizer.json); without it a new GPT and tokenizer are trained, sized by the flags below',
      ),
    steps: z.number().int().min(1).default(2000).describe('optimizer steps'),
    vocabSize: z.number().int().min(257).default(1024).describe('byte-level BPE vocabulary size'),
    layers: z.number().int().min(1).default(4).describe('transformer blocks'),
    heads: z.number().int().min(1).default(4).describe('attention heads per block'),
    dim: z.number().int().min(8).default(128).describe('embedding width (a multiple of --heads)'),
    ctx: z.number().int().min(8).default(128).describe('context length in tokens'),
    lr: lr(3e-4),
    batch: batch(16, 'sequences per optimizer step'),
    seed,
  })
  .superRefine((o, ctx) => {
    if (o.dim % o.heads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['dim'], message: `must be a multiple of --heads (${o.heads})` });
    }
  });

export const trainRmOptions = z.strictObject({
  data: z.string().min(1).describe('preference pairs: JSON lines with prompt, chosen and rejected'),
  base: z.string().min(1).describe('pretrained model directory to start the reward model from'),
  out,
  epochs: z.number().int().min(1).default(1).describe('passes over the training pairs'),
  lr: lr(1e-4),
  batch: batch(16, 'preference pairs per optimizer step'),
  evalFraction: z
    .number()
    .min(0)
    .max(0.9)
    .default(0.1)
    .describe('fraction of pairs held out for eval_accuracy'),
  seed,
});

export const ppoOptions = z
  .strictObject({
    policy: z.string().min(1).describe('policy model directory (also the frozen KL reference)'),
    rewardModel: z.string().min(1).describe('reward model directory'),
    prompts: z.string().min(1).describe('prompts: JSON lines with a "prompt" field'),
    out,
    algorithm: z
      .enum(['ppo', 'reinforce', 'rloo', 'grpo'])
      .default('ppo')
      .describe('policy-gradient algorithm'),
    iterations: z.number().int().min(1).default(100).describe('rollout + update iterations'),
    batch: batch(16, 'completions per iteration'),
    groupSize: z
      .number()
      .int()
      .min(1)
      .default(4)
      .describe('completions per prompt (rloo and grpo need >= 2 and must divide --batch)'),
    klCoef: z.number().min(0).default(0.05).describe('KL penalty coefficient beta (fixed; 0.05 as in TRL)'),
    seed,
    resume: z.boolean().default(false).describe('continue from the latest checkpoint in --out'),
  })
  .superRefine((o, ctx) => {
    // Batch-size divisibility errors belong at config time, not 20 minutes into a run.
    if (o.algorithm !== 'rloo' && o.algorithm !== 'grpo') return;
    if (o.groupSize < 2) {
      ctx.addIssue({ code: 'custom', path: ['groupSize'], message: `${o.algorithm} needs at least 2` });
    } else if (o.batch % o.groupSize !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['groupSize'],
        message: `must divide --batch (${o.batch}) for ${o.algorithm}`,
      });
    }
  });

export interface CommandSpec {
  /** One line for `rlhf --help`. */
  summary: string;
  /** Positional arguments shown in the usage line, e.g. "<run dir>". */
  positionals?: string;
  schema: z.ZodObject;
}

export const jobSpecs: Record<JobKind, CommandSpec> = {
  demo: {
    summary: 'the whole pipeline offline: tokenizer, pretrain, preferences, RM, PPO, eval',
    schema: demoOptions,
  },
  pretrain: {
    summary: 'pretrain a small GPT on a text file, or fine-tune a model (--base)',
    schema: pretrainOptions,
  },
  'train-rm': { summary: 'train a Bradley-Terry reward model on preference pairs', schema: trainRmOptions },
  ppo: { summary: 'RL fine-tuning against a reward model (PPO, REINFORCE, RLOO, GRPO)', schema: ppoOptions },
};

// The real runners, each on a worker thread (worker-runner.ts); their modules load only when a job starts.
for (const kind of jobKinds)
  jobs[kind] = workerRunner(kind, async () => (await import('./runners.js')).runners[kind]);
