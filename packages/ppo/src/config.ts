/**
 * The RL fine-tuning config: one flat record, a description and a help group per field (cleanrl style), and
 * the one place its derived values are computed and its cross-field rules checked, so that divisibility and
 * group-size mistakes fail before any work with a message saying what to change. The `rlhf ppo` flags and
 * their --help are derived from this schema (a new field is one line here). Defaults follow
 * rlhf-conventions.md ("Chosen conventions"). Imported alone as `@rlhfkit/ppo/config` (zod only).
 */
import type { PolicyLossType } from '@rlhfkit/core';
import { z } from 'zod';

export const algorithms = [
  'ppo',
  'reinforce',
  'rloo',
  'grpo',
  'reinforce++',
  'reinforce++-baseline',
] as const;
export type Algorithm = (typeof algorithms)[number];

/** core's policyLossTypes, listed here so that this entry stays zod-only (config.test.ts checks they match). */
export const lossTypes = ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const satisfies readonly PolicyLossType[];

const doc = (group: string, description: string) => ({ group, description });

export const ppoConfigSchema = z.object({
  algorithm: z
    .enum(algorithms)
    .default('ppo')
    .meta(
      doc('algorithm', 'policy-gradient estimator: PPO with a critic, or critic-free REINFORCE, RLOO, GRPO'),
    ),
  iterations: z.number().int().positive().default(20).meta(doc('algorithm', 'rollout + update iterations')),
  promptsPerIteration: z
    .number()
    .int()
    .positive()
    .default(8)
    .meta(doc('rollout', 'prompts sampled per iteration')),
  groupSize: z
    .number()
    .int()
    .positive()
    .optional()
    .meta(
      doc(
        'rollout',
        'completions per prompt k (default: 4 for rloo, grpo and reinforce++-baseline, which need k ≥ 2; 1 otherwise)',
      ),
    ),
  maxNewTokens: z
    .number()
    .int()
    .positive()
    .default(24)
    .meta(doc('rollout', 'longest completion in tokens (see missingEosPenalty)')),
  temperature: z
    .number()
    .positive()
    .default(1)
    .meta(doc('rollout', 'sampling temperature; training log-probs use the same temperature')),
  topK: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .meta(doc('rollout', 'sample from the k most likely tokens (0: off)')),
  topP: z.number().gt(0).lte(1).default(1).meta(doc('rollout', 'nucleus sampling mass (1: off)')),
  samplesPerIteration: z
    .number()
    .int()
    .nonnegative()
    .default(4)
    .meta(doc('rollout', 'completions logged to samples.jsonl per iteration')),
  minibatchSize: z
    .number()
    .int()
    .positive()
    .optional()
    .meta(
      doc(
        'optimization',
        'rows per minibatch; must divide promptsPerIteration × groupSize (default: the largest divisor ≤ 8)',
      ),
    ),
  ppoEpochs: z
    .number()
    .int()
    .positive()
    .default(4)
    .meta(doc('optimization', 'epochs over each rollout batch (reinforce uses 1)')),
  lr: z.number().positive().default(1e-5).meta(doc('optimization', 'Adam learning rate')),
  lrSchedule: z
    .enum(['constant', 'cosine'])
    .default('constant')
    .meta(doc('optimization', 'constant, or a cosine decay over all optimizer steps')),
  maxGradNorm: z.number().positive().default(1).meta(doc('optimization', 'global gradient-norm clip')),
  clip: z.number().positive().default(0.2).meta(doc('loss', 'PPO ratio clip ε')),
  clipLow: z
    .number()
    .positive()
    .lt(1)
    .optional()
    .meta(doc('loss', 'lower clip ε_low (ratio ≥ 1 − ε_low; default: clip)')),
  clipHigh: z
    .number()
    .positive()
    .optional()
    .meta(
      doc(
        'loss',
        "upper clip ε_high (ratio ≤ 1 + ε_high; default: clip); DAPO's clip-higher: 0.28 with ε_low 0.2",
      ),
    ),
  lossType: z
    .enum(lossTypes)
    .default('bnpo')
    .meta(
      doc(
        'loss',
        "policy-loss aggregation (TRL's loss_type): grpo per-sequence mean then batch mean; bnpo token mean over the minibatch; dr_grpo token sum / (rows × maxNewTokens); dapo token sum / active tokens of the rollout",
      ),
    ),
  importanceSampling: z
    .enum(['token', 'sequence'])
    .default('token')
    .meta(
      doc(
        'loss',
        "importance ratio per token, or per sequence (GSPO: the geometric mean of the row's token ratios)",
      ),
    ),
  klLossCoef: z
    .number()
    .nonnegative()
    .default(0)
    .meta(
      doc(
        'kl',
        'β of KL to the reference as a loss term (k3 per token, added before aggregation, as GRPO); 0: off',
      ),
    ),
  valueClip: z.number().positive().default(0.2).meta(doc('loss', 'value clip ε_v (TRL 0.2)')),
  vfCoef: z.number().nonnegative().default(0.1).meta(doc('loss', 'weight of the value loss (TRL 0.1)')),
  entCoef: z.number().nonnegative().default(0).meta(doc('loss', 'entropy bonus coefficient (0: off)')),
  gamma: z.number().min(0).max(1).default(1).meta(doc('loss', 'GAE discount γ')),
  lambda: z.number().min(0).max(1).default(0.95).meta(doc('loss', 'GAE λ')),
  reinforceBaseline: z
    .boolean()
    .default(true)
    .meta(doc('loss', 'reinforce: subtract the batch-mean return at each position as a baseline')),
  grpoScaleByStd: z
    .boolean()
    .default(true)
    .meta(doc('loss', "grpo: divide advantages by the group's std (--no-grpo-scale-by-std: Dr. GRPO)")),
  klCoef: z.number().nonnegative().default(0.05).meta(doc('kl', 'initial (or fixed) KL coefficient β')),
  adaptiveKl: z
    .boolean()
    .default(false)
    .meta(doc('kl', 'adapt β toward klTarget (Ziegler et al.); off: fixed β')),
  klTarget: z.number().positive().default(6).meta(doc('kl', 'target KL of the adaptive controller (nats)')),
  klHorizon: z.number().positive().default(10000).meta(doc('kl', 'horizon of the adaptive controller')),
  klEstimator: z
    .enum(['k1', 'k2', 'k3'])
    .default('k1')
    .meta(doc('kl', 'KL estimator in the per-token reward')),
  missingEosPenalty: z
    .number()
    .nonnegative()
    .default(0)
    .meta(
      doc('reward', 'subtracted from the score of a completion that hits maxNewTokens without EOS (0: off)'),
    ),
  overlongBuffer: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .meta(
      doc(
        'reward',
        "DAPO's soft overlong penalty: completions past maxNewTokens − overlongBuffer tokens lose up to overlongPenalty",
      ),
    ),
  overlongPenalty: z
    .number()
    .nonnegative()
    .default(1)
    .meta(doc('reward', 'the overlong penalty at the length cap, reached linearly across the buffer')),
  dynamicSampling: z
    .boolean()
    .default(false)
    .meta(
      doc(
        'rollout',
        "DAPO's dynamic sampling: drop groups whose scores all agree and sample more prompts to refill the batch",
      ),
    ),
  dynamicSamplingMaxRounds: z
    .number()
    .int()
    .positive()
    .default(4)
    .meta(
      doc(
        'rollout',
        'generation rounds per iteration at most; still short, the batch is topped up with masked-out groups',
      ),
    ),
  rewardClip: z
    .number()
    .nonnegative()
    .default(0)
    .meta(doc('reward', 'clip scores to [−rewardClip, rewardClip] (0: off)')),
  whitenRewards: z
    .boolean()
    .default(false)
    .meta(doc('reward', 'whiten scores across the batch before shaping')),
  checkpointEvery: z
    .number()
    .int()
    .nonnegative()
    .default(10)
    .meta(doc('run', 'write a checkpoint every this many iterations (0: only at the end and on stop)')),
  seed: z.number().int().min(0).default(0).meta(doc('run', 'random seed; the same seed gives the same run')),
});

/** A resolved config: every field set, the derived ones included. */
export type PPOConfig = z.output<typeof ppoConfigSchema> & { groupSize: number; minibatchSize: number };
export type PPOConfigInput = z.input<typeof ppoConfigSchema>;

/** Thrown for a config that cannot run; the message says what to change. */
export class PPOConfigError extends Error {
  override name = 'PPOConfigError';
}

/** A problem with one field, and what to do about it. */
export interface ConfigIssue {
  path: [string];
  message: string;
}

function largestDivisor(n: number, atMost: number): number {
  for (let d = Math.min(n, atMost); d >= 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Algorithms that compare the completions of one prompt. */
const grouped = (a: Algorithm) => a === 'rloo' || a === 'grpo' || a === 'reinforce++-baseline';

/** Rows (completions) per iteration: promptsPerIteration × groupSize. */
export const rowsPerIteration = (c: PPOConfig): number => c.promptsPerIteration * c.groupSize;

/** Fill the derived fields of parsed options (groupSize and minibatchSize when not given). */
export function resolvePpoConfig(o: z.output<typeof ppoConfigSchema>): PPOConfig {
  const groupSize = o.groupSize ?? (grouped(o.algorithm) ? 4 : 1);
  const rows = o.promptsPerIteration * groupSize;
  return { ...o, groupSize, minibatchSize: o.minibatchSize ?? largestDivisor(rows, 8) };
}

/** The cross-field rules, by field; empty when the config can run. */
export function ppoConfigIssues(c: PPOConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (grouped(c.algorithm) && c.groupSize < 2) {
    issues.push({
      path: ['groupSize'],
      message: `${c.algorithm} compares completions of one prompt: set groupSize ≥ 2 (got ${c.groupSize})`,
    });
  }
  if (c.dynamicSampling && !grouped(c.algorithm)) {
    issues.push({
      path: ['dynamicSampling'],
      message: `drops groups with zero reward spread: use algorithm grpo, rloo or reinforce++-baseline (got ${c.algorithm})`,
    });
  }
  if (c.algorithm === 'reinforce') {
    const clipped = [
      c.importanceSampling === 'sequence' && "importanceSampling 'sequence'",
      c.klLossCoef > 0 && 'klLossCoef',
      (c.clipLow !== undefined || c.clipHigh !== undefined) && 'clipLow/clipHigh',
    ].filter(Boolean);
    if (clipped.length) {
      issues.push({
        path: ['algorithm'],
        message:
          `${clipped.join(', ')} act on the clipped ratio, which reinforce does not use: ` +
          'set algorithm grpo (or ppo, rloo, reinforce++) or drop them',
      });
    }
  }
  if (c.overlongBuffer > c.maxNewTokens) {
    issues.push({
      path: ['overlongBuffer'],
      message: `${c.overlongBuffer} is longer than maxNewTokens ${c.maxNewTokens}; try overlongBuffer ${Math.floor(c.maxNewTokens / 4) || 1}`,
    });
  }
  const rows = rowsPerIteration(c);
  if (rows % c.minibatchSize !== 0) {
    issues.push({
      path: ['minibatchSize'],
      message:
        `${c.minibatchSize} must divide promptsPerIteration × groupSize = ${rows}; ` +
        `try minibatchSize ${largestDivisor(rows, c.minibatchSize)}`,
    });
  }
  return issues;
}

/** Parse, derive and cross-check a config. */
export function ppoConfig(input: Partial<PPOConfigInput> = {}): PPOConfig {
  const r = ppoConfigSchema.strict().safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new PPOConfigError(`invalid PPO config: ${msg}`);
  }
  const c = resolvePpoConfig(r.data);
  const issues = ppoConfigIssues(c);
  if (issues.length) {
    throw new PPOConfigError(
      `invalid PPO config: ${issues.map((i) => `${i.path[0]}: ${i.message}`).join('; ')}`,
    );
  }
  return c;
}

export const ppoDefaults: PPOConfig = ppoConfig();
