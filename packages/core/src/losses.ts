// Policy and value losses, in-graph and differentiable (rlhf-conventions.md, "Formulas"). Inputs are (B, T)
// float tensors of one dtype; mask holds 0/1 in that dtype. Advantages, old log-probs, old values and returns
// are data, not functions of the parameters: each loss wraps them in stopGradient, so only logp (or values)
// carries a gradient. Metrics (clipFrac, approxKl) are token-means under the mask, as TRL logs them.
import {
  add,
  cast,
  div,
  exp,
  expand,
  greater,
  less,
  maximum,
  minimum,
  mul,
  neg,
  reduceSum,
  reshape,
  stopGradient,
  sub,
  type Tensor,
  where,
  zeros,
} from '@rlhfkit/engine';
import { type AggMode, aggregate, maskedMean } from './agg.js';
import { inRange, oneOf, sameTensors } from './args.js';
import { type KlKind, klPenalty } from './kl.js';

/** Arguments of reinforceLoss. */
export interface ReinforceLossArgs {
  /** (B, T) log-probs of the sampled tokens under the policy being trained. */
  logp: Tensor;
  /** (B, T) advantages: rewards-to-go minus an optional state-only baseline (treated as constants). */
  advantages: Tensor;
  /** (B, T) 0/1 float mask of the tokens that count. */
  mask: Tensor;
  /** Loss aggregation; 'token-mean' by default (agg.ts). */
  agg?: AggMode;
  /** Scalar active-token count of the whole update batch, for agg 'global-token-mean' (DAPO). */
  tokenCount?: Tensor;
}

/** REINFORCE (Williams 1992): Agg(-A_t logp_t). Its gradient is the policy-gradient estimate, negated. */
export function reinforceLoss({ logp, advantages, mask, agg, tokenCount }: ReinforceLossArgs): Tensor {
  sameTensors('reinforceLoss', { logp, advantages, mask });
  const perToken = neg(mul(stopGradient(advantages), logp)); // (B, T)
  return aggregate(perToken, mask, agg, 'reinforceLoss', tokenCount);
}

/** Arguments of ppoClipLoss. */
export interface PpoClipLossArgs {
  /** (B, T) log-probs of the sampled tokens under the policy being trained. */
  logp: Tensor;
  /** (B, T) log-probs under the behaviour policy at rollout time. */
  oldLogp: Tensor;
  /** (B, T) advantages (usually whitened GAE). */
  advantages: Tensor;
  /** (B, T) 0/1 float mask. */
  mask: Tensor;
  /** Symmetric clip range eps: ratio kept in [1 - eps, 1 + eps]. 0.2 (rlhf-conventions.md, PPO defaults). */
  clip?: number;
  /** Lower clip range; defaults to clip. */
  clipLow?: number;
  /** Upper clip range; defaults to clip (DAPO's clip-higher sets it above clipLow). */
  clipHigh?: number;
  /** Dual-clip constant c > 1 (Ye et al. 2020): for A < 0 the loss is at most -c A. Off when omitted. */
  dualClip?: number;
  /**
   * 'token' (default): one ratio per token. 'sequence' (GSPO, Zheng et al. 2025; TRL's
   * importance_sampling_level): every token of a row takes the row's ratio exp(mean_t m (logp - oldLogp)), the
   * geometric mean of its token ratios.
   */
  importanceSampling?: 'token' | 'sequence';
  /** (B, T) reference log-probs: adds klCoef * KL_t (estimator klKind, k3 by default) to every token's loss. */
  refLogp?: Tensor;
  /** beta of the KL loss term (GRPO; TRL's beta, verl's kl_loss_coef). Needs refLogp. */
  klCoef?: number;
  /** The KL estimator of the loss term; k3 by default (unbiased and >= 0; verl's low_var_kl). */
  klKind?: KlKind;
  /** Loss aggregation; 'token-mean' by default. */
  agg?: AggMode;
  /** Scalar active-token count of the whole update batch, for agg 'global-token-mean' (DAPO). */
  tokenCount?: Tensor;
}

function clipRange(name: string, x: number, fn: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new Error(`${fn}: ${name} must be a finite number > 0, got ${x}`);
  }
  return x;
}

/**
 * The PPO clipped surrogate (Schulman et al. 2017), with optional asymmetric and dual clipping:
 * rho = exp(logp - oldLogp); l_t = max(-A rho, -A clip(rho, 1 - clipLow, 1 + clipHigh));
 * with dual-clip c, l_t = min(l_t, -c A) where A < 0; with a KL loss term, l_t += beta KL_t before aggregation
 * (TRL's GRPO: per_token_loss + beta * per_token_kl, so the KL shares the policy loss's normaliser).
 * @returns loss (scalar, aggregated), clipFrac (share of tokens where the clipped term is larger), approxKl
 *   (token-mean of (rho_t - 1) - log rho_t with token ratios, the k3 estimate of KL(old || new)) and kl
 *   (token-mean of the KL loss term's estimate; 0 without one)
 */
export function ppoClipLoss(args: PpoClipLossArgs): {
  loss: Tensor;
  clipFrac: Tensor;
  approxKl: Tensor;
  kl: Tensor;
} {
  const fn = 'ppoClipLoss';
  const { logp, oldLogp, advantages, mask } = args;
  sameTensors(fn, { logp, oldLogp, advantages, mask });
  const clip = clipRange('clip', args.clip ?? 0.2, fn);
  const lo = clipRange('clipLow', args.clipLow ?? clip, fn);
  const hi = clipRange('clipHigh', args.clipHigh ?? clip, fn);
  if (lo >= 1)
    throw new Error(`${fn}: clipLow must be < 1 so the ratio's lower bound stays positive, got ${lo}`);
  if (args.dualClip !== undefined && !(Number.isFinite(args.dualClip) && args.dualClip > 1)) {
    throw new Error(`${fn}: dualClip must be a finite number > 1, got ${args.dualClip}`);
  }

  const a = stopGradient(advantages); // (B, T)
  const logRatio = sub(logp, stopGradient(oldLogp)); // (B, T)
  const level = oneOf(fn, 'importanceSampling', args.importanceSampling ?? 'token', ['token', 'sequence']);
  const ratio = exp(level === 'token' ? logRatio : sequenceMean(logRatio, mask)); // (B, T)
  const unclipped = neg(mul(a, ratio)); // (B, T)
  const clipped = neg(mul(a, minimum(maximum(ratio, 1 - lo), 1 + hi))); // (B, T)
  // maximum sends the gradient to its first operand on ties, so unclipped tokens keep their gradient.
  let perToken = maximum(unclipped, clipped); // (B, T)
  if (args.dualClip !== undefined) {
    // rlhf-conventions.md: dual-clip applies only where A < 0 (verl's clip_ratio_c).
    perToken = where(less(a, 0), minimum(perToken, neg(mul(a, args.dualClip))), perToken);
  }
  let kl: Tensor = zeros([], logp.dtype);
  if (args.refLogp || args.klCoef !== undefined) {
    const { refLogp, klCoef } = args;
    if (!refLogp || klCoef === undefined)
      throw new Error(`${fn}: a KL loss term needs both refLogp and klCoef`);
    sameTensors(fn, { logp, refLogp });
    const perTokenKl = klPenalty(logp, refLogp, args.klKind ?? 'k3'); // (B, T)
    perToken = add(perToken, mul(inRange(fn, 'klCoef', klCoef, 0, Infinity), perTokenKl));
    kl = maskedMean(perTokenKl, mask);
  }
  const loss = aggregate(perToken, mask, args.agg, fn, args.tokenCount);
  const clipFrac = maskedMean(cast(greater(clipped, unclipped), logp.dtype), mask);
  const tokenRatio = exp(logRatio); // (B, T)
  const approxKl = maskedMean(sub(sub(tokenRatio, 1), logRatio), mask);
  return { loss, clipFrac: stopGradient(clipFrac), approxKl: stopGradient(approxKl), kl: stopGradient(kl) };
}

/** Each row's masked mean over its last axis, broadcast back over that axis: (B, T) -> (B, T). */
function sequenceMean(x: Tensor, mask: Tensor): Tensor {
  const axis = x.rank - 1;
  const perRow = div(reduceSum(mul(x, mask), axis), maximum(reduceSum(mask, axis), 1)); // (B,)
  return expand(reshape(perRow, [...x.shape.slice(0, axis), 1]), x.shape); // (B, T)
}

/** Arguments of valueLoss. */
export interface ValueLossArgs {
  /** (B, T) critic values under the parameters being trained. */
  values: Tensor;
  /** (B, T) critic values at rollout time. */
  oldValues: Tensor;
  /** (B, T) returns R_t = A_t + V_t from gae (before whitening). */
  returns: Tensor;
  /** (B, T) 0/1 float mask. */
  mask: Tensor;
  /** Value clip range eps_v: 0.2 (TRL; rlhf-conventions.md). Infinity turns clipping off. */
  clip?: number;
  /** Loss aggregation; 'token-mean' by default. */
  agg?: AggMode;
  /** Scalar active-token count of the whole update batch, for agg 'global-token-mean'. */
  tokenCount?: Tensor;
}

/**
 * The clipped value loss: V_clip = V_old + clip(V - V_old, -eps, eps);
 * L = 0.5 Agg(max((V - R)^2, (V_clip - R)^2)).
 * @returns loss (scalar) and clipFrac (share of tokens where the clipped error is larger; val/clipfrac_avg)
 */
export function valueLoss(args: ValueLossArgs): { loss: Tensor; clipFrac: Tensor } {
  const fn = 'valueLoss';
  const { values, oldValues, returns, mask } = args;
  sameTensors(fn, { values, oldValues, returns, mask });
  const eps = args.clip ?? 0.2;
  if (typeof eps !== 'number' || Number.isNaN(eps) || eps <= 0) {
    throw new Error(`${fn}: clip must be a number > 0 (Infinity for no clipping), got ${eps}`);
  }
  const vOld = stopGradient(oldValues); // (B, T)
  const r = stopGradient(returns); // (B, T)
  const err = sub(values, r); // (B, T)
  const errSq = mul(err, err); // (B, T)
  if (eps === Infinity) {
    return {
      loss: mul(0.5, aggregate(errSq, mask, args.agg, fn, args.tokenCount)),
      clipFrac: zeros([], values.dtype),
    };
  }
  // V_old + clip(V - V_old, -eps, eps) written as a clamp of V between V_old -/+ eps (same value and gradient).
  const vClip = sub(minimum(maximum(values, sub(vOld, eps)), add(vOld, eps)), r); // (B, T): V_clip - R
  const clipSq = mul(vClip, vClip); // (B, T)
  const perToken = maximum(errSq, clipSq); // (B, T)
  const loss = mul(0.5, aggregate(perToken, mask, args.agg, fn, args.tokenCount));
  const clipFrac = maskedMean(cast(greater(clipSq, errSq), values.dtype), mask);
  return { loss, clipFrac: stopGradient(clipFrac) };
}
