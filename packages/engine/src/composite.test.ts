import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import {
  causalAttention,
  crossEntropy,
  evaluate,
  gatheredLogProbs,
  gelu,
  layerNorm,
  logSigmoid,
  logSoftmax,
  logSumExp,
  mul,
  reduceSum,
  softmax,
  valueAndGrad,
} from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
const run = async (fn: Fn, inputs: Record<string, TestInput>) => {
  const r = await evaluate(fn, inputs);
  return { shape: r.shape, data: Array.from(r.data, Number) };
};
const close = (xs: number[], digits = 12) => xs.map((v) => expect.closeTo(v, digits));
const ints = (data: number[], shape: number[]): TestInput => ({ data, shape, dtype: 'int64' });

// Rows [0, ln 2, ln 3] and [1, 1, 1]: softmax [1, 2, 3]/6 and [1, 1, 1]/3.
const rows = f64([0, Math.LN2, Math.log(3), 1, 1, 1], [2, 3]);

describe('softmax, logSoftmax and logSumExp', () => {
  it('softmax normalises each row, on the last axis or on axis 0', async () => {
    expect(await run(({ x }) => softmax(x!), { x: rows })).toEqual({
      shape: [2, 3],
      data: close([1 / 6, 2 / 6, 3 / 6, 1 / 3, 1 / 3, 1 / 3]),
    });
    const col = await run(({ x }) => softmax(x!, 0), { x: f64([0, 5, Math.LN2, 5], [2, 2]) });
    expect(col.data).toEqual(close([1 / 3, 0.5, 2 / 3, 0.5]));
  });

  it('logSoftmax is the log of softmax and stays finite for logits of 1000', async () => {
    const r = await run(({ x }) => logSoftmax(x!), { x: rows });
    expect(r.data).toEqual(close([1 / 6, 2 / 6, 3 / 6, 1 / 3, 1 / 3, 1 / 3].map(Math.log)));
    const big = await run(({ x }) => logSoftmax(x!), { x: f64([1000, 1000, 0], [3]) });
    expect(big.data).toEqual(close([-Math.LN2, -Math.LN2, -1000 - Math.LN2]));
  });

  it('logSumExp reduces an axis, keeps it on request, and is stable for large inputs', async () => {
    expect(await run(({ x }) => logSumExp(x!), { x: rows })).toEqual({
      shape: [2],
      data: close([Math.log(6), 1 + Math.log(3)]),
    });
    const kept = await run(({ x }) => logSumExp(x!, 0, true), { x: rows });
    expect(kept.shape).toEqual([1, 3]);
    expect(kept.data[0]).toBeCloseTo(Math.log(1 + Math.E), 12);
    const big = await run(({ x }) => logSumExp(x!), { x: f64([1000, 1000, -1000], [3]) });
    expect(big.data).toEqual(close([1000 + Math.LN2]));
  });

  it.each([
    ['softmax', (x: Tensor) => softmax(x)],
    ['softmax on axis 0', (x: Tensor) => softmax(x, 0)],
    ['logSoftmax', (x: Tensor) => logSoftmax(x)],
    ['logSumExp', (x: Tensor) => logSumExp(x)],
    ['logSumExp on axis 0', (x: Tensor) => logSumExp(x, 0)],
  ])('%s passes a float64 gradient check', async (_name, f) => {
    await gradCheck(({ x }) => f(x!), { x: uniform([3, 4], -2, 2, 11) });
  });

  it('logSumExp has the gradient softmax(x), also at a tie for the max', async () => {
    const { grads } = await valueAndGrad(({ x }) => logSumExp(x!), { x: f64([2, 2, 0], [3]) });
    const z = 2 * Math.E ** 2 + 1;
    expect([...grads['x']!]).toEqual(close([Math.E ** 2 / z, Math.E ** 2 / z, 1 / z]));
  });
});

describe('logSigmoid', () => {
  it('matches log σ(x) and stays finite with the right gradient at ±50', async () => {
    const xs = [-50, -3, -0.5, 0, 0.5, 3, 50];
    const logSig = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
    const y = await run(({ x }) => logSigmoid(x!), { x: f64(xs, [xs.length]) });
    expect(y.data).toEqual(close(xs.map(logSig), 14));
    const { grads } = await valueAndGrad(({ x }) => reduceSum(logSigmoid(x!)), { x: f64(xs, [xs.length]) });
    const g = [...grads['x']!];
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g).toEqual(
      close(
        xs.map((x) => 1 / (1 + Math.exp(x))),
        14,
      ),
    ); // σ(−x)
  });

  it('passes a float64 gradient check, large |x| included', async () => {
    await gradCheck(({ x }) => logSigmoid(x!), { x: f64([-50, -4, -1.5, -0.2, 0.3, 2, 7, 50], [8]) });
  });
});

describe('gelu', () => {
  const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

  it('equals the tanh formula ½x(1 + tanh(√(2/π)(x + 0.044715x³)))', async () => {
    const xs = [-6, -2, -1, -0.1, 0, 0.1, 1, 2, 6];
    const y = await run(({ x }) => gelu(x!), { x: f64(xs, [xs.length]) });
    expect(y.data).toEqual(close(xs.map(tanhGelu), 14));
  });

  it('passes a float64 gradient check', async () => {
    await gradCheck(({ x }) => gelu(x!), { x: uniform([2, 5], -4, 4, 12) });
  });

  it('gives the same values and gradients in float32 (ORT Gelu kernel, fused rule) as in float64', async () => {
    const x = uniform([4, 8], -5, 5, 22);
    const w = uniform([4, 8], -1, 1, 23);
    const loss: Fn = ({ x, w }) => reduceSum(mul(gelu(x!), w!));
    const r64 = await valueAndGrad(loss, { x, w }, { wrt: ['x'] });
    const r32 = await valueAndGrad(
      loss,
      { x: { data: x.data, shape: x.shape }, w: { data: w.data, shape: w.shape } },
      {
        wrt: ['x'],
      },
    );
    expect(r32.value).toBeCloseTo(r64.value, 4);
    expect(r32.grads['x']).toBeInstanceOf(Float32Array);
    expect(Array.from(r32.grads['x']!)).toEqual(close(Array.from(r64.grads['x']!), 5));
    const y = await run(({ x }) => gelu(x!), { x: { data: x.data, shape: x.shape } });
    expect(y.data).toEqual(close(Array.from(x.data, Number).map(tanhGelu), 5));
  });
});

describe('layerNorm', () => {
  it('normalises the last axis, then scales by gamma and shifts by beta', async () => {
    // Rows [1, 2, 3, 4] (mean 2.5, variance 1.25) and [2, 2, 2, 2] (variance 0: only beta is left).
    const r = await run(({ x, g, b }) => layerNorm(x!, g!, b!), {
      x: f64([1, 2, 3, 4, 2, 2, 2, 2], [2, 4]),
      g: f64([1, 2, 1, 0.5], [4]),
      b: f64([0, 0, 1, -1], [4]),
    });
    const s = 1 / Math.sqrt(1.25 + 1e-5);
    expect(r.data).toEqual(close([-1.5 * s, -0.5 * s * 2, 0.5 * s + 1, 1.5 * s * 0.5 - 1, 0, 0, 1, -1], 10));
  });

  it('passes a float64 gradient check in x, gamma and beta', async () => {
    const r = await gradCheck(({ x, g, b }) => layerNorm(x!, g!, b!), {
      x: uniform([2, 3, 5], -2, 2, 13),
      g: uniform([5], 0.5, 1.5, 14),
      b: uniform([5], -1, 1, 15),
    });
    expect(Object.keys(r.analytic).sort()).toEqual(['b', 'g', 'x']);
  });

  it('gives the same values and gradients in float32 (one fused kernel) as in float64 (op by op)', async () => {
    const inputs = {
      x: uniform([3, 6], -2, 2, 18),
      g: uniform([6], 0.5, 1.5, 19),
      b: uniform([6], -1, 1, 20),
    };
    const w = uniform([3, 6], -1, 1, 21);
    const as32 = (t: TestInput): TestInput => ({ data: t.data, shape: t.shape });
    const loss: Fn = ({ x, g, b, w }) => reduceSum(mul(layerNorm(x!, g!, b!), w!));
    const r64 = await valueAndGrad(loss, { ...inputs, w }, { wrt: ['x', 'g', 'b'] });
    const r32 = await valueAndGrad(
      loss,
      { x: as32(inputs.x), g: as32(inputs.g), b: as32(inputs.b), w: as32(w) },
      { wrt: ['x', 'g', 'b'] },
    );
    expect(r32.value).toBeCloseTo(r64.value, 5);
    for (const k of ['x', 'g', 'b']) {
      expect(r32.grads[k]).toBeInstanceOf(Float32Array);
      expect(Array.from(r32.grads[k]!)).toEqual(close(Array.from(r64.grads[k]!), 5));
    }
  });

  it('rejects gamma or beta of the wrong shape', async () => {
    const inputs = { x: uniform([2, 4]), g: uniform([3]), b: uniform([4]) };
    await expect(run(({ x, g, b }) => layerNorm(x!, g!, b!), inputs)).rejects.toThrow(/layerNorm: gamma/);
  });
});

describe('softmax cross-entropy', () => {
  // logits rows [0, ln 2, ln 3] → p = [1, 2, 3]/6; [1, 1, 1] → p = 1/3 each.
  const targets = ints([2, 0], [2]);

  it('gatheredLogProbs picks log p(target) and crossEntropy is its negative', async () => {
    const lp = await run(({ x, t }) => gatheredLogProbs(x!, t!), { x: rows, t: targets });
    expect(lp).toEqual({ shape: [2], data: close([Math.log(0.5), -Math.log(3)]) });
    const ce = await run(({ x, t }) => crossEntropy(x!, t!), { x: rows, t: targets });
    expect(ce).toEqual({ shape: [2], data: close([Math.LN2, Math.log(3)]) });
  });

  it('has the gradient softmax − onehot', async () => {
    const { grads } = await valueAndGrad(({ x, t }) => reduceSum(crossEntropy(x!, t!)), {
      x: rows,
      t: targets,
    });
    expect([...grads['x']!]).toEqual(close([1 / 6, 2 / 6, 3 / 6 - 1, 1 / 3 - 1, 1 / 3, 1 / 3]));
  });

  it('has the same gradient in float32 (the scatter runs in place on −g·softmax)', async () => {
    const { grads } = await valueAndGrad(({ x, t }) => reduceSum(mul(gatheredLogProbs(x!, t!), 2)), {
      x: { data: rows.data, shape: rows.shape },
      t: targets,
    });
    expect(grads['x']).toBeInstanceOf(Float32Array);
    expect([...grads['x']!]).toEqual(close([-2 / 6, -4 / 6, 2 - 6 / 6, 2 - 2 / 3, -2 / 3, -2 / 3], 6));
  });

  it('passes float64 gradient checks over (B, T, V) logits', async () => {
    const t = ints([0, 4, 2, 2, 1, 3], [2, 3]);
    await gradCheck(({ x, t }) => crossEntropy(x!, t!), { x: uniform([2, 3, 5], -3, 3, 16), t });
    await gradCheck(({ x, t }) => gatheredLogProbs(x!, t!), { x: uniform([2, 3, 5], -3, 3, 17), t });
  });
});

describe('causalAttention', () => {
  const [B, H, T, D] = [2, 2, 4, 3];
  const qkv = (seed: number) => ({
    q: uniform([B, H, T, D], -1, 1, seed),
    k: uniform([B, H, T, D], -1, 1, seed + 1),
    v: uniform([B, H, T, D], -1, 1, seed + 2),
  });

  it('with q = 0 averages the values at positions ≤ t', async () => {
    const v = [1, 10, 100, 1000];
    const r = await run(({ q, k, v }) => causalAttention(q!, k!, v!), {
      q: f64([0, 0, 0, 0], [1, 1, 4, 1]),
      k: f64([3, -1, 2, 5], [1, 1, 4, 1]),
      v: f64(v, [1, 1, 4, 1]),
    });
    expect(r).toEqual({ shape: [1, 1, 4, 1], data: close([1, 11 / 2, 111 / 3, 1111 / 4]) });
  });

  it('never attends to keys masked out by keyMask', async () => {
    const r = await run(({ q, k, v, m }) => causalAttention(q!, k!, v!, m!), {
      q: f64([0, 0, 0, 0], [1, 1, 4, 1]),
      k: f64([3, -1, 2, 5], [1, 1, 4, 1]),
      v: f64([1, 10, 100, 1000], [1, 1, 4, 1]),
      m: f64([1, 0, 1, 1], [1, 4]),
    });
    expect(r.data).toEqual(close([1, 1, 101 / 2, 1101 / 3]));
  });

  it('is causal: changing q, k, v after position t leaves outputs at ≤ t unchanged', async () => {
    const base = qkv(20);
    // Right padding: the last key of batch 1 is masked (every query still has an allowed key).
    const m = f64([1, 1, 1, 1, 1, 1, 1, 0], [B, T]);
    const t = 1;
    const perturbed = Object.fromEntries(
      Object.entries(base).map(([name, x]) => {
        const data = Array.from(x.data, (val, i) => (Math.floor(i / D) % T > t ? val + 5 : val));
        return [name, { ...x, data }];
      }),
    );
    const fn: Fn = ({ q, k, v, m }) => causalAttention(q!, k!, v!, m!);
    const before = await run(fn, { ...base, m });
    const after = await run(fn, { ...perturbed, m });
    const row = (i: number) => Math.floor(i / D) % T;
    for (let i = 0; i < before.data.length; i++) {
      if (row(i) <= t) expect(after.data[i]).toBe(before.data[i]);
    }
    expect(after.data.some((x, i) => row(i) > t && x !== before.data[i])).toBe(true);
  });

  it('passes a float64 gradient check in q, k and v', async () => {
    await gradCheck(({ q, k, v }) => causalAttention(q!, k!, v!), qkv(30));
  });

  it('passes a float64 gradient check in q, k and v with a keyMask', async () => {
    const m = f64([1, 1, 0, 1, 1, 1, 1, 0], [B, T]);
    await gradCheck(
      ({ q, k, v, m }) => causalAttention(q!, k!, v!, m!),
      { ...qkv(40), m },
      { wrt: ['q', 'k', 'v'] },
    );
  });

  it('gives masked keys and values no gradient', async () => {
    const m = f64([1, 0, 1, 1], [1, 4]);
    const x = {
      q: uniform([1, 1, 4, 2], -1, 1, 50),
      k: uniform([1, 1, 4, 2], -1, 1, 51),
      v: uniform([1, 1, 4, 2], -1, 1, 52),
    };
    const { grads } = await valueAndGrad(
      ({ q, k, v, m }) => reduceSum(mul(causalAttention(q!, k!, v!, m!), q!)),
      { ...x, m },
      { wrt: ['k', 'v'] },
    );
    expect([grads['k']![2], grads['k']![3], grads['v']![2], grads['v']![3]]).toEqual([0, 0, 0, 0]);
  });
});
