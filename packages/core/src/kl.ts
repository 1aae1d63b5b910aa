// KL estimators between the policy and the frozen reference, per token, from the log-probs of the sampled
// tokens (Schulman, "Approximating KL divergence", 2020). With d = logp - logp_ref
// (rlhf-conventions.md, "Formulas"):
//   k1 = d                 unbiased, can be negative per token
//   k2 = d^2 / 2           biased, low variance, always >= 0
//   k3 = exp(-d) - 1 + d   unbiased for KL(pi || ref), always >= 0
// klEstimate works on host arrays (for the KL penalty in the reward); klPenalty is the in-graph version (for
// KL as a loss term, as in GRPO). OpenRLHF clamps estimates to [-10, 10]; here the clamp is optional and off
// by default (rlhf-conventions.md, "KL clamps").
import { exp, maximum, minimum, mul, neg, stopGradient, sub, type Tensor } from '@rlhfkit/engine';
import { oneOf, positive, sameLength, sameTensors, toF64 } from './args.js';

/** A per-token KL estimator: see the header of kl.ts. */
export type KlKind = 'k1' | 'k2' | 'k3';

export const klKinds: readonly KlKind[] = ['k1', 'k2', 'k3'];

/** Options shared by klEstimate and klPenalty. */
export interface KlOptions {
  /** Clamp each estimate to [-clamp, clamp] (OpenRLHF uses 10). No clamp when omitted. */
  clamp?: number;
}

/** One estimate from d = logp - refLogp. */
export function klOf(kind: KlKind, d: number): number {
  if (kind === 'k1') return d;
  if (kind === 'k2') return 0.5 * d * d;
  return Math.exp(-d) - 1 + d;
}

/**
 * Per-token KL estimates from the log-probs of the sampled tokens, host side.
 * @param logp log pi(a_t | s_t) under the policy that sampled them
 * @param refLogp log pi_ref(a_t | s_t) under the reference policy, same length
 * @param kind 'k1' | 'k2' | 'k3' (project default k1, rlhf-conventions.md)
 */
export function klEstimate(
  logp: ArrayLike<number>,
  refLogp: ArrayLike<number>,
  kind: KlKind = 'k1',
  options: KlOptions = {},
): Float64Array {
  const fn = 'klEstimate';
  const k = oneOf(fn, 'kind', kind, klKinds);
  sameLength(fn, { logp, refLogp });
  const a = toF64(fn, 'logp', logp);
  const b = toF64(fn, 'refLogp', refLogp);
  const c = options.clamp === undefined ? Infinity : positive(fn, 'clamp', options.clamp);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.min(c, Math.max(-c, klOf(k, a[i]! - b[i]!)));
  return out;
}

/**
 * Per-token KL estimate as a differentiable tensor, for KL as a loss term. The gradient flows into logp
 * only: refLogp is treated as a constant.
 * @param logp (B, T) log-probs of the sampled tokens under the policy being trained
 * @param refLogp (B, T) log-probs under the reference policy, same dtype
 * @returns (B, T) per-token estimates; aggregate them with a mask (see agg.ts)
 */
export function klPenalty(
  logp: Tensor,
  refLogp: Tensor,
  kind: KlKind = 'k1',
  options: KlOptions = {},
): Tensor {
  const fn = 'klPenalty';
  const k = oneOf(fn, 'kind', kind, klKinds);
  sameTensors(fn, { logp, refLogp });
  const c = options.clamp === undefined ? undefined : positive(fn, 'clamp', options.clamp);
  const d = sub(logp, stopGradient(refLogp)); // (B, T)
  let kl: Tensor;
  if (k === 'k1') kl = d;
  else if (k === 'k2') kl = mul(0.5, mul(d, d));
  else kl = sub(exp(neg(d)), sub(1, d)); // exp(-d) - (1 - d)
  return c === undefined ? kl : minimum(maximum(kl, -c), c);
}
