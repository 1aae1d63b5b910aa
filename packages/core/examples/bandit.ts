// REINFORCE on the two-action bandit with a sigmoid policy pi(a=1) = sigma(theta).
//   1. From theta0, apply REINFORCE updates theta <- theta + lr * r * d/dtheta log pi(a) for a given
//      sequence of sampled actions and rewards, printing theta and pi(a=1) after each step.
//   2. The dual-path check: with reward r = a, the expected gradient is d/dtheta E[r] = sigma(1 - sigma).
//      Print it beside the Monte Carlo mean and std of single-sample gradients r * d/dtheta log pi(a).
// d/dtheta log pi comes from the engine's autodiff through @rlhfkit/core's reinforceLoss, not from a
// derivative written by hand.
// Run: pnpm --filter @rlhfkit/core example:bandit
import { reinforceLoss } from '@rlhfkit/core';
import { add, full, mul, neg, reshape, sub, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { isMain, logSigmoid, sigmoid, stats, uniformSource } from './common.js';

/** Settings of the bandit example. */
export interface BanditConfig {
  /** Initial policy parameter. */
  theta0: number;
  /** Learning rate of the REINFORCE updates. */
  lr: number;
  /** The sampled (action, reward) pairs, one per update. */
  steps: ReadonlyArray<{ action: 0 | 1; reward: number }>;
  /** theta at which the expected gradient is checked. */
  checkTheta: number;
  /** Monte Carlo samples for the check. */
  nSamples: number;
  /** Seed of the action sampler. */
  seed: number;
}

export const banditDefaults: BanditConfig = {
  theta0: 0,
  lr: 0.5,
  steps: [
    { action: 1, reward: 1 },
    { action: 0, reward: 0 },
    { action: 1, reward: 1 },
    { action: 0, reward: 1 },
    { action: 1, reward: 2 },
    { action: 1, reward: -1 },
  ],
  checkTheta: 0.5,
  nSamples: 20000,
  seed: 7,
};

/**
 * log pi(a | theta) for a batch of (theta_i, a_i): a log sigma(theta) + (1 - a) log sigma(-theta).
 * theta (N,) and action (N,) float64 -> (N, 1): N sequences of one token each.
 */
function logPolicy(theta: Tensor, action: Tensor): Tensor {
  const lp = add(mul(action, logSigmoid(theta)), mul(sub(1, action), logSigmoid(neg(theta)))); // (N,)
  return reshape(lp, [theta.shape[0]!, 1]); // (N, 1)
}

/**
 * Per-sample REINFORCE gradients g_i = r_i * d/dtheta log pi(a_i | theta_i), from one autodiff pass.
 * Each sample gets its own copy of theta, and reinforceLoss with seq-mean-token-sum is mean_i(-r_i log pi_i),
 * so d loss / d theta_i = -g_i / N.
 */
export async function sampleGradients(
  theta: number[],
  actions: number[],
  rewards: number[],
): Promise<Float64Array> {
  const n = theta.length;
  const f = (data: number[]) => ({ data, shape: [n], dtype: 'float64' as const });
  const { grads } = await valueAndGrad(
    (x) =>
      reinforceLoss({
        logp: logPolicy(x['theta']!, x['action']!), // (N, 1)
        advantages: reshape(x['reward']!, [n, 1]), // (N, 1)
        mask: full([n, 1], 1, 'float64'), // (N, 1)
        agg: 'seq-mean-token-sum',
      }),
    { theta: f(theta), action: f(actions), reward: f(rewards) },
    { wrt: ['theta'] },
  );
  return Float64Array.from(grads['theta']!, (g) => -n * g);
}

export interface BanditResult {
  /** theta and pi(a=1) before the first update (step 0) and after each update. */
  trajectory: Array<{
    step: number;
    action: number | null;
    reward: number | null;
    theta: number;
    p1: number;
  }>;
  /** The dual-path check at checkTheta. */
  check: { theta: number; analytic: number; mean: number; std: number; stderr: number; nSamples: number };
}

/** Run both parts and print them with log (console.log by default). */
export async function main(config: BanditConfig = banditDefaults, log = console.log): Promise<BanditResult> {
  // 1. REINFORCE updates along the given (action, reward) sequence.
  let theta = config.theta0;
  const trajectory: BanditResult['trajectory'] = [
    { step: 0, action: null, reward: null, theta, p1: sigmoid(theta) },
  ];
  log('REINFORCE on a two-action bandit, pi(a=1) = sigmoid(theta)');
  log(`theta0 = ${config.theta0}, lr = ${config.lr}`);
  log('step  action  reward     theta   pi(a=1)');
  log(
    `${fmt(0, 4)}  ${fmt('-', 6)}  ${fmt('-', 6)}  ${fmt(theta.toFixed(4), 8)}  ${fmt(sigmoid(theta).toFixed(4), 8)}`,
  );
  for (const [i, { action, reward }] of config.steps.entries()) {
    const [g] = await sampleGradients([theta], [action], [reward]);
    theta += config.lr * g!; // gradient ascent on E[r]
    trajectory.push({ step: i + 1, action, reward, theta, p1: sigmoid(theta) });
    log(
      `${fmt(i + 1, 4)}  ${fmt(action, 6)}  ${fmt(reward.toFixed(1), 6)}  ${fmt(theta.toFixed(4), 8)}  ${fmt(sigmoid(theta).toFixed(4), 8)}`,
    );
  }

  // 2. Dual-path check: analytic expected gradient vs the Monte Carlo mean of single-sample gradients.
  const t = config.checkTheta;
  const n = config.nSamples;
  const next = uniformSource(config.seed);
  const actions = Array.from({ length: n }, () => (next() < sigmoid(t) ? 1 : 0));
  const grads = await sampleGradients(new Array<number>(n).fill(t), actions, actions); // reward r = a
  const s = stats(grads);
  const analytic = sigmoid(t) * (1 - sigmoid(t));
  const check = { theta: t, analytic, mean: s.mean, std: s.std, stderr: s.stderr, nSamples: n };
  log('');
  log(`Dual-path check at theta = ${t}, reward r = a, N = ${n} samples`);
  log(`  analytic     sigma(theta)(1 - sigma(theta)) = ${analytic.toFixed(6)}`);
  log(
    `  Monte Carlo  mean = ${s.mean.toFixed(6)}  std = ${s.std.toFixed(4)}  stderr = ${s.stderr.toFixed(6)}`,
  );
  log(`  difference   ${((s.mean - analytic) / s.stderr).toFixed(2)} standard errors`);
  return { trajectory, check };
}

const fmt = (x: unknown, w: number) => String(x).padStart(w);

if (isMain(import.meta.url)) await main();
