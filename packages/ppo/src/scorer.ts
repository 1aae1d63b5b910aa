/**
 * What RL optimises: anything that scores (prompt, completion) pairs. A reward model is one; a function is
 * another (rule-based rewards, verifiers, gold raters), getting each prompt's other dataset columns as `row`,
 * as TRL's reward functions do. Several weighted rewards (TRL's reward_funcs and reward_weights) sum to one
 * score, each logged as rewards/<name>/mean and /std.
 */
import { callRewardFn, type LoadedRewardFn, type RewardFn, type RewardFnRow } from '@rlhfkit/io';
import type { RewardModel } from '@rlhfkit/reward-model';

export type RewardRow = RewardFnRow;
export type { RewardFn };

export interface Scorer {
  /** One score per completion; `rows[i]` holds prompt i's other dataset columns (may be empty). */
  score(
    prompts: readonly string[],
    completions: readonly string[],
    rows: readonly RewardRow[],
  ): Promise<number[]>;
  /** The scores a reward model gave its held-out pairs; scores outside it are logged (watch.ts). */
  range?: { min: number; max: number };
}

/** One of several rewards: its name in metrics, its weight in the sum, and how it scores. */
export interface RewardPart {
  name: string;
  weight: number;
  scorer: Scorer;
}

/** A trained reward model as a scorer (prompt and completion joined as one text, as it was trained). */
export function rewardModelScorer(rm: RewardModel, batchSize = 16): Scorer {
  return {
    score: (prompts, completions) =>
      rm.score(
        prompts.map((p, i) => ({ prompt: p, completion: completions[i]! })),
        batchSize,
      ),
    ...(rm.scoreRange ? { range: { min: rm.scoreRange.min, max: rm.scoreRange.max } } : {}),
  };
}

/**
 * A scorer from a reward function (TRL's `(prompts, completions, **kwargs)` one sample at a time), loaded by
 * io's loadRewardFn or given in code; every sample is scored concurrently, and a throw, a non-number or no
 * answer within timeoutMs stops the run with a message naming the function and sample.
 */
export function ruleScorer(f: LoadedRewardFn | RewardFn, timeoutMs?: number): Scorer {
  const loaded = typeof f === 'function' ? { name: f.name || 'rule', source: f.name || 'rule', fn: f } : f;
  return {
    score: (prompts, completions, rows) =>
      callRewardFn(
        loaded,
        prompts.map((prompt, i) => ({ prompt, completion: completions[i]!, row: rows[i] ?? {} })),
        timeoutMs,
      ),
  };
}

/** The weighted sum of the parts' scores, and each part's scores by name. */
export async function scoreRewards(
  parts: readonly RewardPart[],
  prompts: readonly string[],
  completions: readonly string[],
  rows: readonly RewardRow[],
): Promise<{ total: number[]; byName: Record<string, number[]> }> {
  const scores = await Promise.all(parts.map((p) => p.scorer.score(prompts, completions, rows)));
  const total = prompts.map((_, i) => parts.reduce((s, p, k) => s + p.weight * scores[k]![i]!, 0));
  return { total, byName: Object.fromEntries(parts.map((p, k) => [p.name, scores[k]!])) };
}
