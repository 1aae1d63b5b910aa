import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { constant, grad, mul, Program, reduceSum, type Tensor } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { forwardHidden, gptConfig, initParams, lmLogits, loadCausalLM, paramShapes } from '../src/index.js';

describe('GPT against independent references', () => {
  it('loads a GPT-2 checkpoint written by PyTorch and matches its logits to 1e-4', async () => {
    // Fixture: test/fixtures/make_gpt2_fixture.py (a plain PyTorch GPT-2 and its own safetensors writer).
    const dir = fileURLToPath(new URL('./fixtures/tiny-gpt2', import.meta.url));
    const ref = JSON.parse(
      readFileSync(fileURLToPath(new URL('./fixtures/tiny-gpt2-logits.json', import.meta.url)), 'utf8'),
    ) as {
      input_ids: number[][];
      logits: number[][][];
    };
    const lm = await loadCausalLM(dir);
    const { data, shape } = await lm.logits(ref.input_ids);
    const [B, T, V] = shape;
    let maxErr = 0;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let v = 0; v < V; v++) {
          maxErr = Math.max(maxErr, Math.abs(data[(b * T + t) * V + v]! - ref.logits[b]![t]![v]!));
        }
    expect(maxErr).toBeLessThan(1e-4);
  });

  it('passes a float64 central-difference gradient check through the whole tiny GPT', async () => {
    const c = gptConfig({
      nLayer: 2,
      nHead: 2,
      nEmbd: 8,
      vocabSize: 11,
      nPositions: 8,
      bosTokenId: 0,
      eosTokenId: 0,
    });
    const shapes = paramShapes(c);
    const init = initParams(c, 4);
    for (const [k, v] of Object.entries(init))
      if (!k.includes('ln_')) for (let i = 0; i < v.length; i++) v[i]! *= 10;
    const [B, T] = [2, 5];
    const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    const weights = Array.from({ length: B * T * c.vocabSize }, (_, i) => Math.sin(i * 1.7));
    const specs = Object.fromEntries(
      Object.entries(shapes).map(([k, s]) => [k, { shape: s, dtype: 'float64' as const }]),
    );
    // f(params) = Σ w ⊙ logits: every logit's gradient matters.
    const f = (p: Record<string, Tensor>) => {
      const positions = constant(
        Array.from({ length: B * T }, (_, i) => i % T),
        [B, T],
        'int64',
      );
      const { hidden } = forwardHidden(p, c, { ids: constant(ids, [B, T], 'int64'), positions });
      return reduceSum(mul(lmLogits(hidden, p), constant(weights, [B, T, c.vocabSize], 'float64')));
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
        expect(Math.abs(g[i]! - num) / Math.max(1, Math.abs(num))).toBeLessThan(1e-5);
        checked++;
      }
    }
    expect(checked).toBe(3 * names.length);
  });
});
