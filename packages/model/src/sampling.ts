/**
 * Token sampling inside the graph, so a whole generation loop runs in one session.run. Randomness comes in
 * as uniforms drawn on the host from a seeded Rng: the same seed gives the same tokens on any thread count.
 */
import {
  add,
  argmax,
  cast,
  constant,
  cumsum,
  div,
  gatherElements,
  less,
  logSoftmax,
  matmul,
  minimum,
  mul,
  neg,
  padZeros,
  reduceMax,
  reduceSum,
  reshape,
  slice,
  softmax,
  sub,
  type Tensor,
  topK,
  where,
} from '@rlhfkit/engine';

export interface SamplingConfig {
  /** Softmax temperature; 0 means greedy (argmax). */
  temperature: number;
  /** Keep only the k most likely tokens (0: off). */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches topP (1: off). */
  topP: number;
}

export const samplingDefaults: SamplingConfig = { temperature: 1, topK: 0, topP: 1 };

/** A large negative logit: exp() of it is exactly 0, and unlike -Infinity it never makes NaN. */
const NEG = -1e9;

/**
 * Sample one token per row. logits (B, V); u (B) uniform in [0, 1).
 * Returns the token (int64, B) and its log-prob under softmax(logits / temperature) over the full vocabulary
 * (the same distribution PPO recomputes in training, rlhf-conventions.md "logprobs during training").
 */
export function sampleTokens(logits: Tensor, u: Tensor, s: SamplingConfig): { token: Tensor; logp: Tensor } {
  const [B, V] = logits.shape as [number, number];
  if (s.temperature <= 0) {
    const token = argmax(logits, -1); // (B)
    return { token, logp: pick(logSoftmax(logits, -1), token) };
  }
  const z = div(logits, s.temperature); // (B, V)
  const logp = logSoftmax(z, -1);
  let f = z;
  if (s.topK > 0 && s.topK < V) {
    const kth = slice(topK(f, s.topK).values, [s.topK - 1], [s.topK], [1]); // (B, 1)
    f = where(less(f, kth), NEG, f);
  }
  if (s.topP < 1) {
    const sorted = topK(f, V).values; // (B, V) descending
    const p = softmax(sorted, -1);
    // Keep token i while the mass before it is below topP (so the first token is always kept).
    const before = sub(rowCumsum(p), p);
    const cutoff = neg(reduceMax(neg(where(less(before, s.topP), sorted, -NEG)), -1, true)); // (B, 1)
    f = where(less(f, cutoff), NEG, f);
  }
  const probs = softmax(f, -1); // (B, V)
  const cdf = rowCumsum(probs);
  const total = slice(cdf, [V - 1], [V], [1]); // (B, 1), 1 up to rounding
  // Counted in the float dtype (exact far beyond any vocabulary) and then cast: ORT's int64 ReduceSum is a
  // scalar loop, several times slower than the float one on every generated token.
  const below = cast(less(cdf, mul(reshape(u, [B, 1]), total)), logits.dtype);
  const token = minimum(cast(reduceSum(below, -1), 'int64'), V - 1); // (B): first index where cdf ≥ u
  return { token, logp: pick(logp, token) };
}

/**
 * Inclusive cumulative sum along the last axis of p (B, V), in two levels: sums within chunks of S = 64 as
 * one product with an upper-triangular matrix of ones, plus the sums of the chunks before. ORT's CumSum is
 * a scalar loop (about 230 µs for 16 × 4096 on the development machine, on every generated token); the
 * product and a CumSum over B × V/S chunk sums take about half of that. Small vocabularies use CumSum.
 */
function rowCumsum(p: Tensor): Tensor {
  const [B, V] = p.shape as [number, number];
  const S = 64;
  if (V < 4 * S) return cumsum(p, -1);
  const G = Math.ceil(V / S);
  const padded = G * S === V ? p : padZeros(p, [0, 0], [0, G * S - V]); // (B, G·S): zeros past V
  const upper = constant(
    Array.from({ length: S * S }, (_, k) => (Math.floor(k / S) <= k % S ? 1 : 0)),
    [S, S],
    p.dtype,
  );
  const within = matmul(reshape(padded, [B * G, S]), upper); // (B·G, S): sums within each chunk
  const chunkSums = reshape(slice(within, [S - 1], [S], [1]), [B, G]);
  const before = sub(cumsum(chunkSums, -1), chunkSums); // (B, G): the chunks before each one
  const cdf = reshape(add(reshape(within, [B, G, S]), reshape(before, [B, G, 1])), [B, G * S]);
  return G * S === V ? cdf : slice(cdf, [0], [V], [1]);
}

/** x[b, token[b]] for x (B, V). */
const pick = (x: Tensor, token: Tensor): Tensor => {
  const [B] = x.shape as [number, number];
  return reshape(gatherElements(x, reshape(token, [B, 1]), 1), [B]);
};
