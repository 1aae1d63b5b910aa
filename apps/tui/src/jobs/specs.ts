/**
 * Every job's command line: its inputs, its package's config schema (the package owns the fields, their
 * defaults, descriptions, derived values and cross-field rules; a new package field is a new flag) and the
 * run options every job takes. Only schemas live here (zod and the packages' config entries), so --help and
 * validation load no engine; each job's runner is in its own file, loaded when the job starts.
 */
import type { Device } from '@rlhfkit/engine';
import type { EventSink, JobControl, JobKind } from '@rlhfkit/io';
import {
  newModelIssues,
  newModelSchema,
  pretrainConfigIssues,
  pretrainConfigSchema,
  sftConfigSchema,
} from '@rlhfkit/model/configs';
import { ppoConfigIssues, ppoConfigSchema, resolvePpoConfig } from '@rlhfkit/ppo/config';
import { rewardTrainConfigSchema } from '@rlhfkit/reward-model/config';
import { z } from 'zod';

/** Starts a job; the job reports through `sink` and obeys `control` between steps. */
export type JobRunner = (
  options: Record<string, unknown>,
  sink: EventSink,
) => { control: JobControl; done: Promise<Record<string, unknown>> };

/** A problem with one option, by key, found after the fields themselves are valid. */
export interface OptionIssue {
  path: [string];
  message: string;
}

export interface CommandSpec {
  name: string;
  /** One line for `rlhf --help`. */
  summary: string;
  /** Positional arguments shown in the usage line, e.g. "<run dir>". */
  positionals?: string;
  /** Every option; each field's metadata gives its description and help group. */
  schema: z.ZodObject;
  /** Rules across fields (the package's), checked once the fields are valid. */
  check?: (options: Record<string, unknown>) => OptionIssue[];
  /** Flag lines beside the schema's (name, description), for commands without options. */
  extra?: [string, string][];
}

export interface JobSpec extends CommandSpec {
  name: JobKind;
  /** The job's runner module, imported when the job starts. */
  load: () => Promise<JobRunner>;
}

const doc = (group: string, description: string) => ({ group, description });
/** A file or directory option: main.ts resolves it against the working directory. */
const path = (description: string, group = 'inputs') =>
  z
    .string()
    .min(1)
    .meta({ ...doc(group, description), path: true });

/** The engine's devices, listed here so that --help loads no engine (specs.test.ts checks they match). */
export const devices = ['cpu', 'webgpu', 'cuda'] as const satisfies readonly Device[];

/** What every job takes besides its own options (the seed is in each package's config). */
export const runOptions = z.object({
  out: path('run directory to write (default: runs/<kind>-<date>-<time>)', 'run').optional(),
  resume: z
    .boolean()
    .default(false)
    .meta(doc('run', 'continue the run in --out from its checkpoint (a --out that holds a run needs it)')),
  device: z.enum(devices).default('cpu').meta(doc('run', 'where the engine runs')),
  threads: z.number().int().min(1).optional().meta(doc('run', 'CPU threads for the engine (default 2)')),
  allowCpuFallback: z
    .boolean()
    .default(false)
    .meta(doc('run', 'run on the CPU when --device is not available, instead of failing')),
});

/** The engine's settings, for commands that run a model without a run directory. */
export const runtimeOptions = runOptions.pick({ device: true, threads: true, allowCpuFallback: true });

const seed = z
  .number()
  .int()
  .min(0)
  .default(0)
  .meta(doc('run', 'random seed; the same seed gives the same run'));

/** The flags of a job: its inputs first, then the package's config, then the run options. */
const job = (inputs: z.ZodRawShape, config: z.ZodRawShape) =>
  z.strictObject({ ...inputs, ...config, ...runOptions.shape });

/** Pick the keys of one schema out of parsed options. */
export const pick = <S extends z.ZodObject>(schema: S, o: Record<string, unknown>): z.output<S> =>
  Object.fromEntries(
    Object.keys(schema.shape)
      .filter((k) => o[k] !== undefined)
      .map((k) => [k, o[k]]),
  ) as z.output<S>;

const demo: JobSpec = {
  name: 'demo',
  summary: 'the whole pipeline offline: tokenizer, pretrain, preferences, RM, PPO, eval',
  schema: job(
    {
      preset: z
        .enum(['default', 'ci'])
        .default('default')
        .meta(
          doc(
            'inputs',
            'default: the full demo (about 5 minutes on 2 cores); ci: a reduced run (about 2 minutes)',
          ),
        ),
    },
    { seed },
  ),
  load: async () => (await import('./demo.js')).run,
};

const pretrain: JobSpec = {
  name: 'pretrain',
  summary: 'train a new tokenizer and a small GPT-2 from scratch on text',
  schema: job(
    {
      data: path(
        'training text: a .txt file, or rows ({"text"}, or {"prompt", "completion"} with the loss on the completion) in .jsonl, .json or .parquet',
      ),
    },
    { ...newModelSchema.shape, ...pretrainConfigSchema.shape },
  ),
  check: (o) => [
    ...newModelIssues(pick(newModelSchema, o)),
    ...pretrainConfigIssues(pick(pretrainConfigSchema, o)),
  ],
  load: async () => (await import('./pretrain.js')).run,
};

const sft: JobSpec = {
  name: 'sft',
  summary: 'supervised fine-tuning of any model directory (loss on the completion or assistant tokens only)',
  schema: job(
    {
      model: path('model directory to fine-tune (HF layout: config.json, model.safetensors, tokenizer.json)'),
      data: path(
        'rows in .jsonl, .json or .parquet: {"prompt", "completion"} (loss on the completion), {"messages"} (chat template, loss on the assistant turns) or {"text"}',
      ),
    },
    sftConfigSchema.shape,
  ),
  check: (o) => pretrainConfigIssues(pick(sftConfigSchema, o)),
  load: async () => (await import('./sft.js')).run,
};

const trainRm: JobSpec = {
  name: 'train-rm',
  summary: 'train a Bradley-Terry reward model on preference pairs',
  schema: job(
    {
      model: path('model directory to start the reward model from (its backbone and tokenizer)'),
      data: path(
        'preference rows {"prompt", "chosen", "rejected"} or {"chosen", "rejected"}: .jsonl, .json or .parquet',
      ),
    },
    rewardTrainConfigSchema.shape,
  ),
  load: async () => (await import('./train-rm.js')).run,
};

const ppo: JobSpec = {
  name: 'ppo',
  summary: 'RL fine-tuning against a reward model or reward functions (PPO, REINFORCE, RLOO, GRPO)',
  schema: job(
    {
      policy: path('policy model directory (also the frozen KL reference)'),
      prompts: path('prompt rows {"prompt", ...other columns} in .jsonl, .json or .parquet'),
      rewardModel: path('reward model directory (from rlhf train-rm)', 'reward').optional(),
      rewardFn: z
        .array(z.string().min(1))
        .optional()
        .meta({
          ...doc(
            'reward',
            "FILE.mjs[:export], repeatable: (prompt, completion, row) => number, row holding the prompt row's other columns",
          ),
          path: true,
        }),
      rewardWeights: z
        .array(z.number())
        .optional()
        .meta(
          doc(
            'reward',
            'weights of the rewards, in order: --reward-model first, then each --reward-fn (default: 1 each)',
          ),
        ),
      rewardFnTimeout: z
        .number()
        .positive()
        .default(10)
        .meta(doc('reward', 'seconds a reward function may take on one completion before the job stops')),
    },
    ppoConfigSchema.shape,
  ),
  check: (o) => {
    const issues: OptionIssue[] = [...ppoConfigIssuesOf(o)];
    const fns = (o['rewardFn'] as string[] | undefined) ?? [];
    const n = fns.length + (o['rewardModel'] ? 1 : 0);
    if (n === 0)
      issues.push({
        path: ['rewardModel'],
        message: 'give a reward: --reward-model DIR and/or --reward-fn FILE.mjs',
      });
    const weights = o['rewardWeights'] as number[] | undefined;
    if (weights && weights.length !== n) {
      issues.push({
        path: ['rewardWeights'],
        message: `${weights.length} weights for ${n} rewards; give one per reward`,
      });
    }
    return issues;
  },
  load: async () => (await import('./ppo.js')).run,
};

function ppoConfigIssuesOf(o: Record<string, unknown>): OptionIssue[] {
  return ppoConfigIssues(resolvePpoConfig(pick(ppoConfigSchema, o)));
}

export const jobSpecs: Record<JobKind, JobSpec> = { demo, pretrain, sft, 'train-rm': trainRm, ppo };
export const jobKinds = Object.keys(jobSpecs) as JobKind[];
