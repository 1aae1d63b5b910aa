// Rewards-to-go and generalized advantage estimation (Schulman et al. 2016), host side, one sequence at a
// time. Formulas and defaults: rlhf-conventions.md ("GAE", "Rewards-to-go").
import { inRange, maskOf, sameLength, toF64 } from './args.js';

/** Options of gae. */
export interface GaeConfig {
  /** Discount per step. The project default is 1 (no discount), as in every RLHF framework. */
  gamma: number;
  /** GAE trace decay: 1 gives Monte Carlo advantages, 0 gives one-step TD errors. Project default 0.95. */
  lambda: number;
  /**
   * Optional 0/1 mask over the steps. Rewards and values at masked positions count as zero
   * (rlhf-conventions.md, "GAE"), and advantages and returns there are 0.
   */
  mask?: ArrayLike<number>;
}

/** Project defaults for gae: gamma 1, lambda 0.95 (rlhf-conventions.md, "Chosen conventions"). */
export const gaeDefaults: Readonly<Pick<GaeConfig, 'gamma' | 'lambda'>> = { gamma: 1, lambda: 0.95 };

/**
 * Rewards-to-go G_t = sum_{k>=t} gamma^(k-t) r_k, for one sequence.
 * @param rewards r_t for t = 0..T-1
 * @param gamma discount in [0, 1]; 1 when omitted (the project default)
 */
export function rewardsToGo(rewards: ArrayLike<number>, gamma = 1): Float64Array {
  const r = toF64('rewardsToGo', 'rewards', rewards);
  inRange('rewardsToGo', 'gamma', gamma, 0, 1);
  const out = new Float64Array(r.length);
  let acc = 0;
  for (let t = r.length - 1; t >= 0; t--) {
    acc = r[t]! + gamma * acc;
    out[t] = acc;
  }
  return out;
}

/**
 * Generalized advantage estimation for one sequence, with V = 0 after the last step:
 * delta_t = r_t + gamma V_{t+1} - V_t, A_t = delta_t + gamma lambda A_{t+1}, R_t = A_t + V_t.
 * Returns are taken before any whitening of the advantages (rlhf-conventions.md, "GAE").
 * @param rewards per-step rewards r_t (for RLHF: tokenRewards' output)
 * @param values critic values V_t, same length
 */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  config: Partial<GaeConfig> = {},
): { advantages: Float64Array; returns: Float64Array } {
  const fn = 'gae';
  const n = sameLength(fn, { rewards, values });
  const r = toF64(fn, 'rewards', rewards);
  const v = toF64(fn, 'values', values);
  const gamma = inRange(fn, 'gamma', config.gamma ?? gaeDefaults.gamma, 0, 1);
  const lambda = inRange(fn, 'lambda', config.lambda ?? gaeDefaults.lambda, 0, 1);
  const m = maskOf(fn, config.mask, n, 'rewards');
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  let nextValue = 0;
  let nextAdv = 0;
  for (let t = n - 1; t >= 0; t--) {
    const rt = m[t]! * r[t]!;
    const vt = m[t]! * v[t]!;
    const delta = rt + gamma * nextValue - vt;
    const at = delta + gamma * lambda * nextAdv;
    advantages[t] = m[t]! * at;
    returns[t] = m[t]! * (at + vt);
    nextValue = vt;
    nextAdv = at;
  }
  return { advantages, returns };
}
