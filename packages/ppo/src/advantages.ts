/**
 * Step 5 of the loop, on the host: shaped rewards, advantages and returns for a rollout, per algorithm,
 * built from @rlhfkit/core's estimators (rlhf-conventions.md "Formulas").
 */
import {
  gae,
  groupNormAdvantages,
  klEstimate,
  overlongPenalty,
  reinforcePlusPlusAdvantages,
  rewardsToGo,
  rlooAdvantages,
  tokenRewards,
  whiten,
} from '@rlhfkit/core';
import type { PPOConfig } from './config.js';

export interface AdvantageInputs {
  /** Rows and response columns. */
  B: number;
  N: number;
  /** Scores after penalties and clipping (B). */
  scores: number[];
  /** (B, N) rollout statistics and mask. */
  logp: Float32Array;
  refLogp: Float32Array;
  values: Float32Array | null;
  respMask: Float32Array;
  klCoef: number;
}

export interface Advantages {
  /** (B, N) advantages, zero on padding. */
  advantages: Float32Array;
  /** (B, N) value targets (PPO). */
  returns: Float32Array;
  /** Per row: Σ_t KL_t (the estimator in the config) and Σ_t −β KL_t. */
  kl: number[];
  nonScoreReward: number[];
}

const row = (a: Float32Array, b: number, N: number, n: number) => a.subarray(b * N, b * N + n);

export function computeAdvantages(cfg: PPOConfig, x: AdvantageInputs): Advantages {
  const { B, N } = x;
  const advantages = new Float32Array(B * N);
  const returns = new Float32Array(B * N);
  const kl: number[] = [];
  const nonScoreReward: number[] = [];
  const lens = Array.from({ length: B }, (_, b) => row(x.respMask, b, N, N).reduce((s, v) => s + v, 0));
  for (let b = 0; b < B; b++) {
    const klRow = klEstimate(row(x.logp, b, N, lens[b]!), row(x.refLogp, b, N, lens[b]!), cfg.klEstimator);
    const sum = klRow.reduce((s, v) => s + v, 0);
    kl.push(sum);
    nonScoreReward.push(-x.klCoef * sum);
  }

  if (cfg.algorithm === 'rloo' || cfg.algorithm === 'grpo') {
    // Sequence-level reward with the KL folded in (TRL's RLOO: score − β Σ KL), one advantage per sequence.
    const r = x.scores.map((s, b) => s + nonScoreReward[b]!);
    const a =
      cfg.algorithm === 'rloo'
        ? rlooAdvantages(r, cfg.groupSize)
        : groupNormAdvantages(r, cfg.groupSize, { scaleByStd: cfg.grpoScaleByStd });
    for (let b = 0; b < B; b++) for (let t = 0; t < lens[b]!; t++) advantages[b * N + t] = a[b]!;
    return { advantages, returns, kl, nonScoreReward };
  }

  if (cfg.algorithm === 'reinforce++' || cfg.algorithm === 'reinforce++-baseline') {
    // OpenRLHF's REINFORCE++: KL in the per-token reward, rewards-to-go, normalised over the batch's tokens.
    const a = reinforcePlusPlusAdvantages({
      scores: x.scores,
      logp: lens.map((n, b) => row(x.logp, b, N, n)),
      refLogp: lens.map((n, b) => row(x.refLogp, b, N, n)),
      klCoef: x.klCoef,
      kind: cfg.klEstimator,
      gamma: cfg.gamma,
      ...(cfg.algorithm === 'reinforce++-baseline' ? { baselineGroupSize: cfg.groupSize } : {}),
    });
    a.forEach((r, b) => {
      advantages.set(r, b * N);
    });
    return { advantages, returns, kl, nonScoreReward };
  }

  const rewards = Array.from({ length: B }, (_, b) =>
    tokenRewards({
      score: x.scores[b]!,
      logp: row(x.logp, b, N, lens[b]!),
      refLogp: row(x.refLogp, b, N, lens[b]!),
      klCoef: x.klCoef,
      kind: cfg.klEstimator,
    }),
  );
  if (cfg.algorithm === 'reinforce') {
    const g = rewards.map((r) => rewardsToGo(r, cfg.gamma));
    for (let t = 0; t < N; t++) {
      // Baseline: the mean return at position t over the *other* rows (leave-one-out), which does not depend
      // on this row's actions, so the estimator stays unbiased (rlhf-conventions.md "REINFORCE loss").
      let s = 0;
      let n = 0;
      for (let b = 0; b < B; b++) {
        if (t < lens[b]!) {
          s += g[b]![t]!;
          n++;
        }
      }
      for (let b = 0; b < B; b++) {
        if (t >= lens[b]!) continue;
        const base = cfg.reinforceBaseline && n > 1 ? (s - g[b]![t]!) / (n - 1) : 0;
        advantages[b * N + t] = g[b]![t]! - base;
      }
    }
    return { advantages, returns, kl, nonScoreReward };
  }

  // PPO: GAE over the shaped rewards and the critic's values, then whitening across the batch.
  for (let b = 0; b < B; b++) {
    const r = gae(rewards[b]!, row(x.values!, b, N, lens[b]!), { gamma: cfg.gamma, lambda: cfg.lambda });
    advantages.set(r.advantages, b * N);
    returns.set(r.returns, b * N);
  }
  const w = whiten(advantages, { mask: x.respMask, shiftMean: true });
  for (let i = 0; i < w.length; i++) advantages[i] = x.respMask[i] ? w[i]! : 0;
  return { advantages, returns, kl, nonScoreReward };
}

/**
 * Score post-processing: missing-EOS penalty, DAPO's overlong penalty (on the response lengths), clipping and
 * optional whitening (in that order).
 */
export function shapeScores(
  cfg: PPOConfig,
  raw: number[],
  endedWithEos: boolean[],
  lengths: number[],
): number[] {
  let s = raw.map((v, i) => (endedWithEos[i] ? v : v - cfg.missingEosPenalty));
  if (cfg.overlongBuffer > 0) {
    const pen = overlongPenalty(lengths, {
      maxLength: cfg.maxNewTokens,
      buffer: cfg.overlongBuffer,
      factor: cfg.overlongPenalty,
    });
    s = s.map((v, i) => v + pen[i]!);
  }
  if (cfg.rewardClip > 0) s = s.map((v) => Math.max(-cfg.rewardClip, Math.min(cfg.rewardClip, v)));
  if (cfg.whitenRewards && s.length > 1) s = Array.from(whiten(s, { shiftMean: false }));
  return s;
}
