/**
 * A float64 central-difference gradient check through a whole model: f(params) = Σ w ⊙ logits over a fixed
 * batch, so every logit's gradient matters; three entries of every parameter are checked.
 */
import { constant, grad, mul, Program, reduceSum, type Tensor } from '@rlhfkit/engine';
import { expect } from 'vitest';
import { forwardHidden, initParams, lmLogits, type ModelConfig, paramShapes } from '../src/index.js';

export async function gradCheckModel(c: ModelConfig, seed: number): Promise<number> {
  const shapes = paramShapes(c);
  const init = initParams(c, seed);
  // Larger weights than init's, so no path is negligible; norm weights stay near 1.
  for (const [k, v] of Object.entries(init))
    if (!/(ln_\d+|ln_f|norm)\.weight$/.test(k)) for (let i = 0; i < v.length; i++) v[i]! *= 10;
  const [B, T] = [2, 5];
  const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
  const weights = Array.from({ length: B * T * c.vocabSize }, (_, i) => Math.sin(i * 1.7));
  const specs = Object.fromEntries(
    Object.entries(shapes).map(([k, s]) => [k, { shape: s, dtype: 'float64' as const }]),
  );
  const f = (p: Record<string, Tensor>) => {
    const positions = constant(
      Array.from({ length: B * T }, (_, i) => i % T),
      [B, T],
      'int64',
    );
    const { hidden } = forwardHidden(p, c, { ids: constant(ids, [B, T], 'int64'), positions });
    return reduceSum(mul(lmLogits(hidden, p, c), constant(weights, [B, T, c.vocabSize], 'float64')));
  };
  const names = Object.keys(shapes);
  const prog = Program.compile(specs, (x) => {
    const y = f(x);
    const gs = grad(
      y,
      names.map((k) => x[k]!),
    );
    return { y, ...Object.fromEntries(names.map((k, i) => [`g/${k}`, gs[i]!])) };
  });
  const value = Program.compile(specs, (x) => ({ y: f(x) }));
  const feeds = () => Object.fromEntries(names.map((k) => [k, { data: Float64Array.from(init[k]!) }]));
  const analytic = await prog.run(feeds());
  const eps = 1e-6;
  let checked = 0;
  for (const k of names) {
    const g = analytic[`g/${k}`]!.data as Float64Array;
    for (const i of [0, Math.floor(g.length / 2), g.length - 1]) {
      const plus = feeds();
      const minus = feeds();
      (plus[k]!.data as Float64Array)[i]! += eps;
      (minus[k]!.data as Float64Array)[i]! -= eps;
      const num =
        (Number((await value.run(plus))['y']!.data[0]) - Number((await value.run(minus))['y']!.data[0])) /
        (2 * eps);
      expect(Math.abs(g[i]! - num) / Math.max(1, Math.abs(num)), `${k}[${i}]`).toBeLessThan(1e-5);
      checked++;
    }
  }
  return checked;
}
