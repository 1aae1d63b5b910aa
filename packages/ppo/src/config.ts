/**
 * The RL fine-tuning config: one flat record, a doc line per field (cleanrl style), validated up front with
 * zod so that divisibility and group-size mistakes fail before any work, with a message saying what to change.
 * Defaults follow rlhf-conventions.md ("Chosen conventions").
 */
import { policyLossTypes } from '@rlhfkit/core';
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

export const ppoConfigSchema = z.object({
  /**
   * Policy-gradient estimator: PPO with a critic, or critic-free REINFORCE / RLOO / GRPO / REINFORCE++ (OpenRLHF:
   * token-level KL in the reward, returns normalised over the batch; -baseline first subtracts the group mean).
   */
  algorithm: z.enum(algorithms).default('ppo'),
  /** Training iterations (rollout + update). */
  iterations: z.number().int().positive().default(20),
  /** Prompts per iteration. */
  promptsPerIteration: z.number().int().positive().default(8),
  /** Completions sampled per prompt (k); rloo and grpo need k ≥ 2. */
  groupSize: z.number().int().positive().default(1),
  /** Rows per PPO minibatch; must divide promptsPerIteration × groupSize. */
  minibatchSize: z.number().int().positive().default(8),
  /** PPO epochs over each rollout batch (reinforce uses 1). */
  ppoEpochs: z.number().int().positive().default(4),
  /** Longest completion; rows that reach it without EOS can be penalised (missingEosPenalty). */
  maxNewTokens: z.number().int().positive().default(24),
  /** Sampling temperature; logprobs in training use the same temperature (rlhf-conventions.md). */
  temperature: z.number().positive().default(1),
  topK: z.number().int().nonnegative().default(0),
  topP: z.number().gt(0).lte(1).default(1),
  /** Adam learning rate. */
  lr: z.number().positive().default(1e-5),
  /** 'constant', or a cosine decay over all optimizer steps. */
  lrSchedule: z.enum(['constant', 'cosine']).default('constant'),
  /** Global gradient-norm clip. */
  maxGradNorm: z.number().positive().default(1),
  /** PPO ratio clip ε. */
  clip: z.number().positive().default(0.2),
  /** Lower clip ε_low (ratio ≥ 1 − ε_low); defaults to clip. */
  clipLow: z.number().positive().lt(1).optional(),
  /** Upper clip ε_high (ratio ≤ 1 + ε_high); defaults to clip. DAPO's clip-higher: 0.28 with ε_low 0.2. */
  clipHigh: z.number().positive().optional(),
  /**
   * Policy-loss aggregation (TRL's loss_type): grpo per-sequence mean then batch mean; bnpo token mean over the
   * minibatch; dr_grpo token sum / (rows × maxNewTokens); dapo token sum / active tokens of the whole rollout.
   */
  lossType: z.enum(policyLossTypes).default('bnpo'),
  /** Importance ratio per token, or per sequence (GSPO: the geometric mean of the row's token ratios). */
  importanceSampling: z.enum(['token', 'sequence']).default('token'),
  /** β of KL to the reference as a loss term (k3 per token, added before aggregation, as GRPO); 0: off. */
  klLossCoef: z.number().nonnegative().default(0),
  /** Value clip ε_v (TRL 0.2). */
  valueClip: z.number().positive().default(0.2),
  /** Weight of the value loss (TRL 0.1). */
  vfCoef: z.number().nonnegative().default(0.1),
  /** Entropy bonus coefficient (0: off). */
  entCoef: z.number().nonnegative().default(0),
  /** GAE discount γ and λ. */
  gamma: z.number().min(0).max(1).default(1),
  lambda: z.number().min(0).max(1).default(0.95),
  /** Initial (or fixed) KL coefficient β. */
  klCoef: z.number().nonnegative().default(0.05),
  /** Adapt β toward klTarget (Ziegler et al.); off: fixed β. */
  adaptiveKl: z.boolean().default(false),
  klTarget: z.number().positive().default(6),
  klHorizon: z.number().positive().default(10000),
  /** KL estimator in the per-token reward. */
  klEstimator: z.enum(['k1', 'k2', 'k3']).default('k1'),
  /** Subtracted from the score when a completion hits maxNewTokens without EOS (0: off). */
  missingEosPenalty: z.number().nonnegative().default(0),
  /** DAPO's soft overlong penalty: completions past maxNewTokens − overlongBuffer tokens lose up to overlongPenalty. */
  overlongBuffer: z.number().int().nonnegative().default(0),
  /** The overlong penalty at the length cap, reached linearly across the buffer. */
  overlongPenalty: z.number().nonnegative().default(1),
  /** DAPO's dynamic sampling: drop groups whose scores all agree and sample more prompts to refill the batch. */
  dynamicSampling: z.boolean().default(false),
  /** Generation rounds per iteration at most; still short, the batch is topped up with masked-out groups. */
  dynamicSamplingMaxRounds: z.number().int().positive().default(4),
  /** Clip scores to [−rewardClip, rewardClip] (0: off). */
  rewardClip: z.number().nonnegative().default(0),
  /** Whiten scores across the batch (shiftMean false) before shaping. */
  whitenRewards: z.boolean().default(false),
  /** REINFORCE: subtract the batch-mean return at each position as a baseline. */
  reinforceBaseline: z.boolean().default(true),
  /** GRPO: divide by the group's std (false: Dr. GRPO). */
  grpoScaleByStd: z.boolean().default(true),
  /** Write a checkpoint every this many iterations (0: only at the end and on stop). */
  checkpointEvery: z.number().int().nonnegative().default(10),
  /** Sample completions logged per iteration. */
  samplesPerIteration: z.number().int().nonnegative().default(4),
  seed: z.number().int().default(0),
});

export type PPOConfig = z.infer<typeof ppoConfigSchema>;
export const ppoDefaults: PPOConfig = ppoConfigSchema.parse({});

/** Thrown for a config that cannot run; the message says what to change. */
export class PPOConfigError extends Error {
  override name = 'PPOConfigError';
}

/** Parse and cross-check a config. */
export function ppoConfig(input: Partial<PPOConfig> = {}): PPOConfig {
  const r = ppoConfigSchema.strict().safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new PPOConfigError(`invalid PPO config: ${msg}`);
  }
  const c = r.data;
  const rows = c.promptsPerIteration * c.groupSize;
  const problems: string[] = [];
  const grouped = c.algorithm === 'rloo' || c.algorithm === 'grpo' || c.algorithm === 'reinforce++-baseline';
  if (grouped && c.groupSize < 2) {
    problems.push(
      `${c.algorithm} compares completions of one prompt: set groupSize ≥ 2 (got ${c.groupSize})`,
    );
  }
  if (c.dynamicSampling && !grouped) {
    problems.push(
      `dynamicSampling drops groups with zero reward spread: use algorithm grpo, rloo or reinforce++-baseline ` +
        `(got ${c.algorithm})`,
    );
  }
  if (c.algorithm === 'reinforce') {
    const clipped = [
      c.importanceSampling === 'sequence' && "importanceSampling 'sequence'",
      c.klLossCoef > 0 && 'klLossCoef',
      (c.clipLow !== undefined || c.clipHigh !== undefined) && 'clipLow/clipHigh',
    ].filter(Boolean);
    if (clipped.length) {
      problems.push(
        `${clipped.join(', ')} act on the clipped ratio, which reinforce does not use: ` +
          `set algorithm grpo (or ppo, rloo, reinforce++) or drop them`,
      );
    }
  }
  if (c.overlongBuffer > c.maxNewTokens) {
    problems.push(
      `overlongBuffer ${c.overlongBuffer} is longer than maxNewTokens ${c.maxNewTokens}; ` +
        `try overlongBuffer ${Math.floor(c.maxNewTokens / 4) || 1}`,
    );
  }
  if (rows % c.minibatchSize !== 0) {
    problems.push(
      `minibatchSize ${c.minibatchSize} must divide promptsPerIteration × groupSize = ${rows}; ` +
        `try minibatchSize ${largestDivisor(rows, c.minibatchSize)}`,
    );
  }
  if (problems.length) throw new PPOConfigError(`invalid PPO config: ${problems.join('; ')}`);
  return c;
}

function largestDivisor(n: number, atMost: number): number {
  for (let d = Math.min(n, atMost); d >= 1; d--) if (n % d === 0) return d;
  return 1;
}
