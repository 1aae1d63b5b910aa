// Baselines and rewards-to-go, by Monte Carlo. A short episodic problem: at each of T steps a state s_t is
// drawn uniformly from S states, the policy picks a in {0, 1} with pi(a=1 | s) = sigma(theta_s), and the
// reward is r_t = w[s_t] a_t + c[s_t]. Three estimators of the policy gradient, one sample per episode:
//   full return     g = sum_t G_0 grad log pi(a_t | s_t)
//   rewards-to-go   g = sum_t G_t grad log pi(a_t | s_t)
//   with baseline   g = sum_t (G_t - b(s_t)) grad log pi(a_t | s_t),  b = V(s_t) = E[G_t | s_t]
// All three are unbiased (their means match the exact gradient T/S w_s sigma_s (1 - sigma_s)); the
// state-only baseline leaves the mean unchanged and cuts the variance, and rewards-to-go cut variance
// against the full return (rlhf-conventions.md, "REINFORCE loss").
// Run: pnpm --filter @rlhfkit/core example:baseline-variance
import { reinforceLoss, rewardsToGo } from '@rlhfkit/core';
import {
  add,
  full,
  mul,
  neg,
  reduceSum,
  reshape,
  sub,
  type Tensor,
  type TensorInput,
  valueAndGrad,
} from '@rlhfkit/engine';
import { isMain, logSigmoid, sigmoid, stats, uniformSource } from './common.js';

/** Settings of the baseline-variance example. */
export interface BaselineVarianceConfig {
  /** Policy logits per state. */
  theta: number[];
  /** Reward for taking a = 1, per state. */
  w: number[];
  /** Reward offset per state (paid whatever the action): what a baseline removes. */
  c: number[];
  /** Steps per episode. */
  horizon: number;
  /** Episodes sampled. */
  nEpisodes: number;
  /** Seed of the sampler. */
  seed: number;
}

export const baselineVarianceDefaults: BaselineVarianceConfig = {
  theta: [0.3, -0.5],
  w: [1, 2],
  c: [3, 1],
  horizon: 4,
  nEpisodes: 20000,
  seed: 11,
};

export type EstimatorName = 'full return' | 'rewards-to-go' | 'rewards-to-go - b(s)';

export interface EstimatorStats {
  name: EstimatorName;
  /** Monte Carlo mean of the per-episode gradient, per state parameter. */
  mean: number[];
  /** Standard error of each mean. */
  stderr: number[];
  /** Total variance: the sum over parameters of the per-episode gradient's variance. */
  variance: number;
}

/** Exact policy gradient: dJ/dtheta_s = T / S * w_s sigma_s (1 - sigma_s). */
export function exactGradient(cfg: BaselineVarianceConfig): number[] {
  const S = cfg.theta.length;
  return cfg.theta.map((th, s) => (cfg.horizon / S) * cfg.w[s]! * sigmoid(th) * (1 - sigmoid(th)));
}

/**
 * Per-episode gradients for per-token advantages A (N, T): one autodiff pass, theta copied per episode.
 * reinforceLoss with seq-mean-token-sum is mean_n sum_t -A log pi, so d loss / d theta_n = -g_n / N.
 */
async function episodeGradients(
  inputs: Record<string, TensorInput>,
  advantages: Float64Array,
  n: number,
  T: number,
  S: number,
): Promise<Float64Array> {
  const { grads } = await valueAndGrad(
    (x) => {
      const theta = reshape(x['theta']!, [n, 1, S]); // (N, 1, S)
      const logits = reduceSum(mul(x['onehot']!, theta), 2); // (N, T)
      const a = x['action']!; // (N, T)
      const logp: Tensor = add(mul(a, logSigmoid(logits)), mul(sub(1, a), logSigmoid(neg(logits)))); // (N, T)
      return reinforceLoss({
        logp,
        advantages: x['adv']!,
        mask: full([n, T], 1, 'float64'),
        agg: 'seq-mean-token-sum',
      });
    },
    { ...inputs, adv: { data: advantages, shape: [n, T], dtype: 'float64' } },
    { wrt: ['theta'] },
  );
  return Float64Array.from(grads['theta']!, (g) => -n * g); // (N, S)
}

/** Sample the episodes and return the three estimators' statistics beside the exact gradient. */
export async function main(
  cfg: BaselineVarianceConfig = baselineVarianceDefaults,
  log = console.log,
): Promise<{ exact: number[]; estimators: EstimatorStats[] }> {
  const { horizon: T, nEpisodes: n } = cfg;
  const S = cfg.theta.length;
  const next = uniformSource(cfg.seed);
  // 1. Roll out n episodes.
  const onehot = new Float64Array(n * T * S);
  const action = new Float64Array(n * T);
  const state = new Int32Array(n * T);
  const reward = new Float64Array(n * T);
  for (let i = 0; i < n * T; i++) {
    const s = Math.min(S - 1, Math.floor(next() * S));
    const a = next() < sigmoid(cfg.theta[s]!) ? 1 : 0;
    state[i] = s;
    onehot[i * S + s] = 1;
    action[i] = a;
    reward[i] = cfg.w[s]! * a + cfg.c[s]!;
  }
  // 2. Advantages for each estimator. V(s_t) = E[r | s_t] + (T - 1 - t) E[r], exact for this problem.
  const meanReward = cfg.theta.map((th, s) => cfg.w[s]! * sigmoid(th) + cfg.c[s]!);
  const avgReward = meanReward.reduce((x, y) => x + y, 0) / S;
  const adv: Record<EstimatorName, Float64Array> = {
    'full return': new Float64Array(n * T),
    'rewards-to-go': new Float64Array(n * T),
    'rewards-to-go - b(s)': new Float64Array(n * T),
  };
  for (let e = 0; e < n; e++) {
    const G = rewardsToGo(reward.subarray(e * T, (e + 1) * T), 1);
    for (let t = 0; t < T; t++) {
      const i = e * T + t;
      adv['full return'][i] = G[0]!;
      adv['rewards-to-go'][i] = G[t]!;
      adv['rewards-to-go - b(s)'][i] = G[t]! - (meanReward[state[i]!]! + (T - 1 - t) * avgReward);
    }
  }
  // 3. Per-episode gradients through autodiff, and their statistics.
  const inputs: Record<string, TensorInput> = {
    theta: { data: Array.from({ length: n }, () => cfg.theta).flat(), shape: [n, S], dtype: 'float64' },
    onehot: { data: onehot, shape: [n, T, S], dtype: 'float64' },
    action: { data: action, shape: [n, T], dtype: 'float64' },
  };
  const exact = exactGradient(cfg);
  const estimators: EstimatorStats[] = [];
  for (const name of Object.keys(adv) as EstimatorName[]) {
    const g = await episodeGradients(inputs, adv[name], n, T, S);
    const perParam = cfg.theta.map((_, s) => stats(Array.from({ length: n }, (_, e) => g[e * S + s]!)));
    estimators.push({
      name,
      mean: perParam.map((p) => p.mean),
      stderr: perParam.map((p) => p.stderr),
      variance: perParam.reduce((acc, p) => acc + p.std ** 2, 0),
    });
  }
  // 4. Report: the means agree with the exact gradient (small z), the variances fall.
  const f = (x: number, w = 12) => x.toFixed(4).padStart(w);
  const head = cfg.theta.map((_, s) => `dJ/dtheta_${s}`.padStart(12)).join('');
  log(`Policy-gradient estimators over ${n} episodes of ${T} steps, ${S} states`);
  log(`${''.padEnd(22)}${head}    variance   z = (mean - exact) / stderr`);
  log(`${'exact'.padEnd(22)}${exact.map((x) => f(x)).join('')}`);
  for (const e of estimators) {
    const z = e.mean.map((m, s) => ((m - exact[s]!) / e.stderr[s]!).toFixed(1)).join(', ');
    log(
      `${e.name.padEnd(22)}${e.mean.map((x) => f(x)).join('')}${e.variance.toFixed(3).padStart(12)}   ${z}`,
    );
  }
  return { exact, estimators };
}

if (isMain(import.meta.url)) await main();
