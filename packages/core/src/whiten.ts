// Masked whitening, host side. Convention (rlhf-conventions.md, "Whitening"):
// mu = sum(m x) / sum(m); var = unbiased masked variance (N/(N-1) correction); (x - mu) / sqrt(var + 1e-8);
// shiftMean=false adds mu back. As in TRL and verl. Fewer than two unmasked entries is an error, not a NaN.
import { maskOf, toF64 } from './args.js';

/** Options of whiten. */
export interface WhitenConfig {
  /** 0/1 mask: statistics use the entries where mask is 1; the output is 0 where mask is 0. */
  mask?: ArrayLike<number>;
  /**
   * true (default, for advantages): the output has mean 0. false (for rewards): the mean is added back, so
   * only the scale changes.
   */
  shiftMean?: boolean;
  /** Added to the variance before the square root. 1e-8 by default. */
  eps?: number;
}

/** Mean and unbiased variance of the masked entries; throws when fewer than two are unmasked. */
export function maskedMoments(
  fn: string,
  x: Float64Array,
  m: Float64Array,
): { mean: number; variance: number; count: number } {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    count += m[i]!;
    sum += m[i]! * x[i]!;
  }
  if (count === 0) throw new Error(`${fn}: mask is empty (no entry is 1), so there is nothing to whiten`);
  if (count === 1) throw new Error(`${fn}: mask selects one entry; an unbiased variance needs at least two`);
  const mean = sum / count;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += m[i]! * (x[i]! - mean) ** 2;
  return { mean, variance: ss / (count - 1), count };
}

/**
 * Whiten x over its masked entries: (x - mean) / sqrt(var + eps), with the unbiased variance.
 * @returns a new array; masked-out positions hold 0
 */
export function whiten(x: ArrayLike<number>, config: WhitenConfig = {}): Float64Array {
  const fn = 'whiten';
  const xs = toF64(fn, 'x', x);
  if (xs.length < 2)
    throw new Error(`${fn}: x has ${xs.length} entries; an unbiased variance needs at least two`);
  const m = maskOf(fn, config.mask, xs.length);
  const eps = config.eps ?? 1e-8;
  if (!(eps >= 0)) throw new Error(`${fn}: eps must be >= 0, got ${eps}`);
  const { mean, variance } = maskedMoments(fn, xs, m);
  const scale = 1 / Math.sqrt(variance + eps);
  const shift = config.shiftMean ?? true;
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    if (m[i] === 0) continue;
    const w = (xs[i]! - mean) * scale;
    out[i] = shift ? w : w + mean;
  }
  return out;
}
