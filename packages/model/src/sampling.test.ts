import { evaluate, Rng } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { sampleTokens } from './sampling.js';

/**
 * Host sampling in float64: keep the top-k logits and then the smallest set of most likely tokens whose mass
 * reaches top-p, renormalise, and take the first token (in vocabulary order) whose cumulative probability
 * reaches u. The log-prob is under the full distribution at the temperature, as PPO recomputes it.
 */
function hostSample(logits: Float32Array, u: number, temperature: number, topK = 0, topP = 1) {
  const V = logits.length;
  const z = Array.from(logits, (x) => x / temperature);
  const softmax = (xs: number[]) => {
    const m = Math.max(...xs);
    const e = xs.map((x) => Math.exp(x - m));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / total);
  };
  const full = softmax(z);
  const sorted = [...z].sort((a, b) => b - a);
  let cutoff = topK > 0 ? sorted[topK - 1]! : -Infinity;
  if (topP < 1) {
    const kept = sorted.filter((x) => x >= cutoff);
    const p = softmax(kept);
    let before = 0;
    let i = 0;
    while (i < kept.length && before < topP) before += p[i++]!;
    cutoff = Math.max(cutoff, kept[i - 1]!);
  }
  const q = softmax(z.map((x) => (x >= cutoff ? x : -1e9)));
  let acc = 0;
  for (let i = 0; i < V; i++) {
    acc += q[i]!;
    if (acc >= u) return { token: i, logp: Math.log(full[i]!) };
  }
  return { token: V - 1, logp: Math.log(full[V - 1]!) };
}

describe('sampleTokens', () => {
  // 300: not a multiple of the 64-token chunks of the two-level CDF (padded); 4096: a multiple; 100: CumSum.
  // With top-k and top-p, the kept tokens are renormalised and sampled in vocabulary order.
  it.each([
    [100, 0, 1],
    [300, 0, 1],
    [4096, 0, 1],
    [300, 20, 1],
    [300, 0, 0.8],
    [4096, 50, 0.9],
  ])(
    'draws the inverse-CDF token of each row for vocabulary %i, top-k %i, top-p %f, with its log-prob',
    async (V, topK, topP) => {
      const B = 24;
      const rng = new Rng(V + topK);
      const logits = Float32Array.from({ length: B * V }, () => 3 * rng.normal());
      const u = Float32Array.from({ length: B }, () => rng.next());
      const r = await evaluate(
        (x) => {
          const s = sampleTokens(x['logits']!, x['u']!, { temperature: 0.8, topK, topP });
          return { token: s.token, logp: s.logp };
        },
        { logits: { data: logits, shape: [B, V] }, u: { data: u, shape: [B] } },
      );
      for (let b = 0; b < B; b++) {
        const want = hostSample(logits.subarray(b * V, (b + 1) * V), u[b]!, 0.8, topK, topP);
        expect(Number(r.token.data[b])).toBe(want.token);
        expect(r.logp.data[b]).toBeCloseTo(want.logp, 4);
      }
    },
  );
});
