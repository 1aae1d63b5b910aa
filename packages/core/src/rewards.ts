// The KL-shaped per-token reward of one response, the reward GAE and rewards-to-go consume
// (rlhf-conventions.md, "Formulas"): r_t = -klCoef * KL_t, plus the reward-model score s on the last valid
// response token (OpenRLHF, verl; TRL puts it one past EOS; the project chose the last valid token).
import { inRange, maskOf, oneOf, sameLength, toF64 } from './args.js';
import { type KlKind, klEstimate, klKinds } from './kl.js';

/** Arguments of tokenRewards. */
export interface TokenRewardsArgs {
  /** The scalar reward-model score s_i of the whole response. */
  score: number;
  /** log pi(a_t | s_t) of the sampled response tokens under the rollout policy. */
  logp: ArrayLike<number>;
  /** log pi_ref(a_t | s_t) under the frozen reference policy, same length. */
  refLogp: ArrayLike<number>;
  /** beta, the KL coefficient (a KL controller's value). >= 0. */
  klCoef: number;
  /** KL estimator; 'k1' by default (rlhf-conventions.md, "Chosen conventions"). */
  kind?: KlKind;
  /**
   * Optional 0/1 mask of the valid response tokens (right padding). Masked positions get reward 0, and the
   * score goes on the last position where the mask is 1.
   */
  mask?: ArrayLike<number>;
  /** Clamp each KL estimate to [-clamp, clamp] before scaling; off by default. */
  clamp?: number;
}

/**
 * Per-token rewards -klCoef * KL_t, with the score added on the last valid token.
 * @returns Float64Array of the response's length
 */
export function tokenRewards(args: TokenRewardsArgs): Float64Array {
  const fn = 'tokenRewards';
  const { logp, refLogp } = args;
  const n = sameLength(fn, { logp, refLogp });
  const score = toF64(fn, 'score', [args.score])[0]!;
  const klCoef = inRange(fn, 'klCoef', args.klCoef, 0, Infinity);
  const kind = oneOf(fn, 'kind', args.kind ?? 'k1', klKinds);
  const m = maskOf(fn, args.mask, n, 'logp');
  const last = m.lastIndexOf(1);
  if (last < 0)
    throw new Error(`${fn}: ${n === 0 ? 'logp is empty' : 'mask is empty'}; there is no token to score`);
  const kl = klEstimate(logp, refLogp, kind, args.clamp === undefined ? {} : { clamp: args.clamp });
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = m[t] === 1 ? -klCoef * kl[t]! : 0;
  out[last] = out[last]! + score;
  return out;
}
