/**
 * The pretraining / SFT config and the shape of a new model, as zod schemas with a description and a help
 * group per field: the `rlhf pretrain` and `rlhf sft` flags and --help are derived from them. Values that
 * depend on others (warmup, final lr, evaluation cadence, context) are derived here, once. Imported alone as
 * `@rlhfkit/model/configs` (zod only).
 */
import { z } from 'zod';

const doc = (group: string, description: string) => ({ group, description });

/** The training fields; pretraining and SFT differ only in their defaults for steps and lr. */
const trainingSchema = (steps: number, lr: number) =>
  z.object({
    steps: z
      .number()
      .int()
      .positive()
      .default(steps)
      .meta(doc('optimization', 'optimizer steps in total (a multiple of stepsPerRun)')),
    batchSize: z
      .number()
      .int()
      .positive()
      .default(16)
      .meta(doc('optimization', 'sequences per optimizer step')),
    contextLength: z
      .number()
      .int()
      .positive()
      .optional()
      .meta(doc('optimization', "tokens per sequence (default: the model's context, at most 1024)")),
    lr: z.number().positive().default(lr).meta(doc('optimization', 'peak learning rate (AdamW)')),
    warmupSteps: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta(doc('optimization', 'linear warmup steps before the cosine decay (default: steps / 20)')),
    minLr: z
      .number()
      .nonnegative()
      .optional()
      .meta(doc('optimization', 'learning rate at the end of the cosine (default: lr / 10)')),
    weightDecay: z
      .number()
      .nonnegative()
      .default(0.1)
      .meta(doc('optimization', 'decoupled weight decay on matrices')),
    maxGradNorm: z.number().positive().default(1).meta(doc('optimization', 'global gradient-norm clip')),
    stepsPerRun: z
      .number()
      .int()
      .positive()
      .default(10)
      .meta(
        doc(
          'optimization',
          'optimizer steps per session.run (one ONNX Loop); metrics and checkpoints between runs',
        ),
      ),
    evalFraction: z
      .number()
      .min(0)
      .lt(1)
      .default(0.05)
      .meta(doc('evaluation', 'share of the data held out for eval_loss (0: none)')),
    evalEvery: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta(doc('evaluation', 'evaluate every this many steps (default: steps / 5; 0: only at the end)')),
    evalBatches: z
      .number()
      .int()
      .positive()
      .default(8)
      .meta(doc('evaluation', 'held-out batches per evaluation')),
    checkpointEvery: z
      .number()
      .int()
      .nonnegative()
      .default(500)
      .meta(doc('run', 'write a checkpoint every this many steps (0: only at the end and on stop)')),
    seed: z
      .number()
      .int()
      .min(0)
      .default(0)
      .meta(doc('run', 'random seed; the same seed gives the same run')),
  });

export const pretrainConfigSchema = trainingSchema(1000, 3e-3);
/** SFT starts from a trained model: the same knobs, fewer steps and a lower learning rate by default. */
export const sftConfigSchema = trainingSchema(200, 1e-4);

export type PretrainConfigInput = z.input<typeof pretrainConfigSchema>;

/** A resolved config: every value set. */
export interface PretrainConfig {
  /** Optimizer steps in total. */
  steps: number;
  /** Sequences per step. */
  batchSize: number;
  /** Tokens per sequence. */
  contextLength: number;
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup steps before the cosine decay. */
  warmupSteps: number;
  /** Learning rate at the end of the cosine. */
  minLr: number;
  /** Decoupled weight decay on matrices. */
  weightDecay: number;
  /** Global gradient-norm clip. */
  maxGradNorm: number;
  /** Optimizer steps per session.run (ONNX Loop); logging and checkpoints happen between runs. */
  stepsPerRun: number;
  /** Share of the data held out for evaluation (used by whoever splits the data). */
  evalFraction: number;
  /** Evaluate held-out loss every this many steps (rounded up to whole runs; 0: only at the end). */
  evalEvery: number;
  /** Held-out batches per evaluation. */
  evalBatches: number;
  /** Write a checkpoint every this many steps (0: only at the end or on stop). */
  checkpointEvery: number;
  seed: number;
}

/** The cross-field rules, by field; empty when the config can run. */
export function pretrainConfigIssues(
  o: z.output<typeof pretrainConfigSchema>,
): { path: [string]; message: string }[] {
  if (o.steps % o.stepsPerRun === 0) return [];
  const up = Math.ceil(o.steps / o.stepsPerRun) * o.stepsPerRun;
  return [
    {
      path: ['steps'],
      message: `${o.steps} must be a multiple of stepsPerRun (${o.stepsPerRun}); try ${up}`,
    },
  ];
}

/** Fill the derived values; `nPositions` is the model's context. */
export function resolvePretrainConfig(
  o: z.output<typeof pretrainConfigSchema>,
  nPositions: number,
): PretrainConfig {
  return {
    ...o,
    contextLength: o.contextLength ?? Math.min(nPositions, 1024),
    warmupSteps: o.warmupSteps ?? Math.ceil(o.steps / 20),
    minLr: o.minLr ?? o.lr / 10,
    evalEvery: o.evalEvery ?? Math.ceil(o.steps / 5),
  };
}

/** The shape of a new GPT-2 model and its byte-level BPE tokenizer (`rlhf pretrain`), in HF's config names. */
export const newModelSchema = z.object({
  vocabSize: z.number().int().min(257).default(1024).meta(doc('model', 'byte-level BPE vocabulary size')),
  nLayer: z.number().int().positive().default(4).meta(doc('model', 'transformer blocks')),
  nHead: z.number().int().positive().default(4).meta(doc('model', 'attention heads per block')),
  nEmbd: z.number().int().min(8).default(128).meta(doc('model', 'embedding width (a multiple of nHead)')),
  nPositions: z.number().int().min(8).default(128).meta(doc('model', 'context length in tokens')),
});

export function newModelIssues(o: z.output<typeof newModelSchema>): { path: [string]; message: string }[] {
  return o.nEmbd % o.nHead === 0
    ? []
    : [{ path: ['nEmbd'], message: `must be a multiple of nHead (${o.nHead})` }];
}

/** Sampling for `rlhf generate` (CausalLM.generate's options). */
export const generationConfigSchema = z.object({
  maxNewTokens: z.number().int().positive().default(64).meta(doc('sampling', 'longest completion in tokens')),
  temperature: z
    .number()
    .nonnegative()
    .default(1)
    .meta(doc('sampling', 'softmax temperature (0: greedy, the most likely token each step)')),
  topK: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .meta(doc('sampling', 'sample from the k most likely tokens (0: off)')),
  topP: z.number().gt(0).lte(1).default(1).meta(doc('sampling', 'nucleus sampling mass (1: off)')),
  numReturnSequences: z
    .number()
    .int()
    .positive()
    .default(1)
    .meta(doc('sampling', 'completions per prompt (HF num_return_sequences)')),
  batchSize: z.number().int().positive().default(16).meta(doc('sampling', 'rows generated together')),
  seed: z
    .number()
    .int()
    .min(0)
    .default(0)
    .meta(doc('sampling', 'seed of the sampling; the same seed gives the same text')),
});
