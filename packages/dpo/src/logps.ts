/**
 * Per-sequence log-probs of the completion tokens, in the graph (for training) and as a compiled program on the
 * host (the reference, once per dataset, and evaluation). TRL's concatenated forward: log_softmax of the logits,
 * the target token's entry, masked to the completion and summed over the sequence.
 */
import { logProbsFromLogits } from '@rlhfkit/core';
import { constant, type InputSpec, mul, Program, reduceSum, type Tensor } from '@rlhfkit/engine';
import {
  type CausalLM,
  forwardHidden,
  type GPTConfig,
  lmLogits,
  type Params,
  paramShapes,
} from '@rlhfkit/model';
import { layoutRows, type SeqRow } from './data.js';

/** Input specs of R right-padded rows of T tokens (see layoutRows). */
export const rowSpecs = (R: number, T: number): Record<string, InputSpec> => ({
  ids: { shape: [R, T], dtype: 'int64' },
  attn: { shape: [R, T] },
  targets: { shape: [R, T], dtype: 'int64' },
  lossMask: { shape: [R, T] },
});

/** Summed completion log-probs (R,) and completion lengths (R,) of a layoutRows batch. */
export function sequenceLogps(
  p: Params,
  c: GPTConfig,
  b: Record<string, Tensor>,
): { logps: Tensor; counts: Tensor } {
  const [R, T] = b['ids']!.shape as [number, number];
  const positions = constant(
    Array.from({ length: R * T }, (_, i) => i % T),
    [R, T],
    'int64',
  );
  const { hidden } = forwardHidden(p, c, { ids: b['ids']!, positions, mask: b['attn']! }); // (R, T, C)
  const lp = logProbsFromLogits(lmLogits(hidden, p, c), b['targets']!); // (R, T)
  const m = b['lossMask']!;
  return { logps: reduceSum(mul(lp, m), 1), counts: reduceSum(m, 1) };
}

/** Summed completion log-probs of rows under lm, R rows per run (the last run padded with copies). */
export async function hostLogps(
  lm: CausalLM,
  rows: readonly SeqRow[],
  T: number,
  R: number,
): Promise<Float32Array> {
  const c = lm.config;
  const shapes = paramShapes(c);
  const prog = lm.program(`dpo-logps:${R}:${T}`, () => {
    const specs = rowSpecs(R, T);
    for (const [k, s] of Object.entries(shapes)) specs[`p/${k}`] = { shape: s };
    return Program.compile(
      specs,
      (x) => {
        const p = Object.fromEntries(Object.keys(shapes).map((k) => [k, x[`p/${k}`]!]));
        return { logps: sequenceLogps(p, c, x).logps };
      },
      lm.runtime,
    );
  });
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i += R) {
    const chunk = rows.slice(i, i + R);
    while (chunk.length < R) chunk.push(rows[i]!);
    const b = layoutRows(chunk, T, c.eosTokenId);
    const res = await prog.run({
      ...lm.paramFeeds('p/'),
      ids: { data: b.ids },
      attn: { data: b.attn },
      targets: { data: b.targets },
      lossMask: { data: b.lossMask },
    });
    out.set((res['logps']!.data as Float32Array).subarray(0, Math.min(R, rows.length - i)), i);
  }
  return out;
}
