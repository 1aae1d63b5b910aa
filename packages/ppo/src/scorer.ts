/** What PPO optimises: anything that scores (prompt, completion) pairs. A reward model is one; a rule is another. */
import type { RewardModel } from '@rlhfkit/reward-model';

export interface Scorer {
  score(prompts: readonly string[], completions: readonly string[]): Promise<number[]>;
  /** The scores a reward model gave its held-out pairs; scores outside it are logged (watch.ts). */
  range?: { min: number; max: number };
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

/** A scorer from a plain function (rule-based rewards, tests, gold raters). */
export function ruleScorer(f: (prompt: string, completion: string) => number): Scorer {
  return { score: async (prompts, completions) => prompts.map((p, i) => f(p, completions[i]!)) };
}
