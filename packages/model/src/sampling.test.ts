import { evaluate, Rng } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { sampleTokens } from './sampling.js';

/** Host inverse CDF in float64: the first token whose cumulative probability reaches u. */
function hostSample(logits: Float32Array, V: number, u: number, temperature: number) {
  const z = Array.from(logits, (x) => x / temperature);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const total = e.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < V; i++) {
    acc += e[i]! / total;
    if (acc >= u) return { token: i, logp: Math.log(e[i]! / total) };
  }
  return { token: V - 1, logp: Math.log(e[V - 1]! / total) };
}

describe('sampleTokens', () => {
  // 300: not a multiple of the 64-token chunks of the two-level CDF (padded); 4096: a multiple; 100: CumSum.
  it.each([100, 300, 4096])(
    'draws the inverse-CDF token of each row for vocabulary %i, with its log-prob',
    async (V) => {
      const B = 24;
      const rng = new Rng(V);
      const logits = Float32Array.from({ length: B * V }, () => 3 * rng.normal());
      const u = Float32Array.from({ length: B }, () => rng.next());
      const r = await evaluate(
        (x) => {
          const s = sampleTokens(x['logits']!, x['u']!, { temperature: 0.8, topK: 0, topP: 1 });
          return { token: s.token, logp: s.logp };
        },
        { logits: { data: logits, shape: [B, V] }, u: { data: u, shape: [B] } },
      );
      for (let b = 0; b < B; b++) {
        const want = hostSample(logits.subarray(b * V, (b + 1) * V), V, u[b]!, 0.8);
        expect(Number(r.token.data[b])).toBe(want.token);
        expect(r.logp.data[b]).toBeCloseTo(want.logp, 4);
      }
    },
  );
});
