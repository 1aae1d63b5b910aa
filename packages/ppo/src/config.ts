/**
 * The RL fine-tuning config: one flat record, a doc line per field (cleanrl style), validated up front with
 * zod so that divisibility and group-size mistakes fail before any work, with a message saying what to change.
 * Defaults follow rlhf-conventions.md ("Chosen conventions").
 */
import { z } from 'zod';

export const algorithms = ['ppo', 'reinforce', 'rloo', 'grpo'] as const;
export type Algorithm = (typeof algorithms)[number];

export const ppoConfigSchema = z.object({
  /** Policy-gradient estimator: PPO with a critic, or critic-free REINFORCE / RLOO / GRPO. */
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
  if ((c.algorithm === 'rloo' || c.algorithm === 'grpo') && c.groupSize < 2) {
    problems.push(
      `${c.algorithm} compares completions of one prompt: set groupSize ≥ 2 (got ${c.groupSize})`,
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
