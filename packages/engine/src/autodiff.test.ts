import { describe, expect, it } from 'vitest';
import { currentGraph, type Primitive, type Tensor } from './graph.js';
import {
  add,
  cast,
  concat,
  exp,
  gather,
  gatherElements,
  grad,
  greater,
  matmul,
  maximum,
  minimum,
  mul,
  neg,
  Program,
  padZeros,
  pow,
  reduceMax,
  reduceSum,
  reshape,
  scatterAdd,
  slice,
  stopGradient,
  tanh,
  valueAndGrad,
  where,
} from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
/** Gradients of sum(fn(x)) as plain arrays. */
async function gradsOf(fn: Fn, inputs: Record<string, TestInput>, wrt?: string[]) {
  const r = await valueAndGrad((x) => reduceSum(fn(x)), inputs, wrt ? { wrt } : {});
  return Object.fromEntries(Object.entries(r.grads).map(([k, v]) => [k, Array.from(v)]));
}
const ints = (data: number[], shape: number[]): TestInput => ({ data, shape, dtype: 'int64' });

/** A one-input primitive lowered to Identity, with an optional vjp. */
function identityPrim(name: string, vjp?: Primitive['vjp']): (x: Tensor) => Tensor {
  const prim: Primitive = {
    name,
    infer: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape] }],
    lower: (e, n) => e.node('Identity', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)]),
    ...(vjp ? { vjp } : {}),
  };
  return (x) => currentGraph().apply(prim, [x], {})[0]!;
}

describe('broadcasting', () => {
  it('sums the gradient of a [3, 1] + [4] sum back to each operand', async () => {
    const g = await gradsOf(({ a, b }) => add(a!, b!), {
      a: f64([1, 2, 3], [3, 1]),
      b: f64([1, 2, 3, 4], [4]),
    });
    expect(g).toEqual({ a: [4, 4, 4], b: [3, 3, 3, 3] });
    await gradCheck(({ a, b }) => mul(add(a!, b!), b!), {
      a: uniform([3, 1], -1, 1, 61),
      b: uniform([4], -1, 1, 62),
    });
  });

  it('gives a scalar times a matrix the sum over the matrix', async () => {
    const m = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const g = await gradsOf(({ s, m }) => mul(s!, m!), { s: f64([2], []), m });
    expect(g).toEqual({ s: [21], m: [2, 2, 2, 2, 2, 2] });
  });

  it.each([
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [1, 4, 5],
    ],
  ])('undoes the batch broadcast of matmul %j @ %j', async (sa, sb) => {
    const r = await gradCheck((x) => matmul(x['a']!, x['b']!), {
      a: uniform(sa, -1, 1, 63),
      b: uniform(sb, -1, 1, 64),
    });
    expect(r.analytic['b']!.length).toBe(20);
  });
});

describe('the gradient walk', () => {
  it('gives a parameter that does not reach the loss a zero gradient of its shape and dtype', async () => {
    const r = await valueAndGrad(({ a }) => reduceSum(tanh(a!)), {
      a: f64([0, 1], [2]),
      unused: f64([1, 2, 3], [3]),
    });
    expect(r.grads['unused']).toBeInstanceOf(Float64Array);
    expect([...r.grads['unused']!]).toEqual([0, 0, 0]);
    const f32 = await valueAndGrad(({ a }) => reduceSum(a!), {
      a: { data: [1], shape: [1] },
      u: { data: [1, 2], shape: [2] },
    });
    expect(f32.grads['u']).toBeInstanceOf(Float32Array);
    expect([...f32.grads['u']!]).toEqual([0, 0]);
    const scalar = await valueAndGrad(({ a }) => reduceSum(a!), { a: f64([1], [1]), s: f64([5], []) });
    expect([...scalar.grads['s']!]).toEqual([0]);
  });

  it('accumulates the gradient of a tensor used several times: d/dx (x*x + x) = 2x + 1', async () => {
    const g = await gradsOf(({ x }) => add(mul(x!, x!), x!), { x: f64([-1, 0, 2.5], [3]) });
    expect(g).toEqual({ x: [-1, 1, 6] });
  });

  it('accumulates through shared subexpressions and different broadcasts of one tensor', async () => {
    const fn: Fn = ({ x }) => {
      const y = tanh(x!); // (3)
      const outer = add(y, reshape(y, [3, 1])); // (3, 3): y used along both axes
      return add(mul(outer, exp(y)), x!);
    };
    await gradCheck(fn, { x: uniform([3], -1, 1, 65) });
  });

  it('passes no gradient through stopGradient', async () => {
    const x = f64([1, -2, 3], [3]);
    expect(await gradsOf(({ x }) => mul(x!, stopGradient(x!)), { x })).toEqual({ x: [1, -2, 3] });
    expect(await gradsOf(({ x }) => exp(stopGradient(x!)), { x })).toEqual({ x: [0, 0, 0] });
  });

  it('fails naming the op when a primitive on the path has no gradient rule', async () => {
    const mystery = identityPrim('mysteryOp');
    const x = { x: f64([1, 2], [2]), y: f64([3, 4], [2]) };
    await expect(valueAndGrad(({ x }) => reduceSum(mystery(x!)), x)).rejects.toThrow(
      "autodiff: no gradient rule for op 'mysteryOp'",
    );
    // Off the path to the differentiated inputs, the missing rule is never needed.
    const r = await valueAndGrad(({ x, y }) => reduceSum(mul(x!, mystery(y!))), x, { wrt: ['x'] });
    expect([...r.grads['x']!]).toEqual([3, 4]);
  });

  it('gradCheck catches a wrong rule and accepts the right one', async () => {
    // Forward: the identity. The wrong rule doubles the gradient.
    const wrong = identityPrim('wrongRule', (_n, [g]) => [add(g!, g!)]);
    const right = identityPrim('rightRule', (_n, [g]) => [g!]);
    const x = { x: uniform([3], -1, 1, 66) };
    await expect(gradCheck(({ x }) => mul(wrong(x!), x!), x)).rejects.toThrow(/gradCheck: error/);
    await gradCheck(({ x }) => mul(right(x!), x!), x);
  });

  it('computes a vector-Jacobian product when grad is given a seed, and asks for one for a non-scalar', async () => {
    const p = Program.compile({ x: { shape: [2], dtype: 'float64' } }, ({ x }) => {
      const y = mul(x!, x!);
      expect(() => grad(y, [x!])).toThrow(/y must be a scalar/);
      const seed = currentGraph().constant([10, 100], [2], 'float64');
      return { g: grad(y, [x!], seed)[0]! };
    });
    const r = await p.run({ x: { data: [1, 2] } });
    expect([...r['g']!.data]).toEqual([20, 400]);
  });
});

describe('indexing gradients', () => {
  it('counts repeated indices in an embedding gradient', async () => {
    const table = f64([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const g = await gradsOf(({ t, i }) => gather(t!, i!), { t: table, i: ints([1, 1, 3, 1], [4]) });
    expect(g).toEqual({ t: [0, 0, 3, 3, 0, 0, 1, 1] });
  });

  it('routes the gradient of scatterAdd to data everywhere and to each update at its index', async () => {
    const inputs = {
      d: f64([0, 0, 0], [3]),
      i: ints([0, 2, 0], [3]),
      u: f64([1, 2, 3], [3]),
      w: f64([1, 10, 100], [3]),
    };
    const g = await gradsOf(({ d, i, u, w }) => mul(scatterAdd(d!, i!, u!, 0), w!), inputs, ['d', 'u']);
    expect(g).toEqual({ d: [1, 10, 100], u: [1, 100, 1] });
  });

  it('adds up the gradient of gatherElements where an element is picked twice', async () => {
    const inputs = { x: f64([1, 2, 3, 4, 5, 6], [2, 3]), i: ints([0, 0, 2, 1], [2, 2]) };
    expect(await gradsOf(({ x, i }) => gatherElements(x!, i!, 1), inputs)).toEqual({ x: [2, 0, 0, 0, 1, 1] });
  });

  it('gives slice, padZeros and concat the gradient of the elements they moved', async () => {
    // y = [x1 x2 | 0 x0 x1 x2 x3 0 0], loss = sum(w * y) with w = 1..9
    const fn: Fn = ({ x, w }) => mul(concat([slice(x!, [1], [3]), padZeros(x!, [1], [2])], 0), w!);
    const inputs = { x: f64([5, 6, 7, 8], [4]), w: f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [9]) };
    expect(await gradsOf(fn, inputs, ['x'])).toEqual({ x: [4, 1 + 5, 2 + 6, 7] });
    await gradCheck(fn, { ...inputs, x: uniform([4], -1, 1, 67) }, { wrt: ['x'] });
  });
});

describe('elementwise and reduction gradients at the edges', () => {
  it('shares the gradient of reduceMax equally between tied maxima', async () => {
    const x = f64([1, 3, 3, 2, 2, 2], [2, 3]);
    const g = await gradsOf(({ x }) => reduceMax(x!, 1), { x });
    expect(g['x']).toEqual([0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]);
    expect(await gradsOf(({ x }) => reduceMax(x!), { x: f64([3, 1, 3], [3]) })).toEqual({ x: [0.5, 0, 0.5] });
  });

  it('sends the gradient of where to the picked branch only', async () => {
    const g = await gradsOf(({ x }) => where(greater(x!, 0), mul(x!, x!), neg(x!)), { x: f64([-1, 2], [2]) });
    expect(g).toEqual({ x: [-1, 4] });
  });

  it('clips with maximum and minimum: no gradient where the bound is taken', async () => {
    const x = f64([-1, 0.5, 2], [3]);
    expect(await gradsOf(({ x }) => minimum(maximum(x!, 0), 1), { x })).toEqual({ x: [0, 1, 0] });
  });

  it('differentiates pow in the base for a constant exponent, also on negative bases', async () => {
    expect(await gradsOf(({ x }) => pow(x!, 3), { x: f64([2, -2, 0], [3]) })).toEqual({ x: [12, 12, 0] });
  });

  it('differentiates pow in both base and exponent on positive bases', async () => {
    const g = await gradsOf(({ a, b }) => pow(a!, b!), { a: f64([2], [1]), b: f64([3], [1]) });
    expect(g['a']![0]).toBeCloseTo(12, 12);
    expect(g['b']![0]).toBeCloseTo(8 * Math.LN2, 12);
  });

  it('casts the gradient back to float32 or float64 to match the input', async () => {
    const g = await valueAndGrad(({ a, b }) => reduceSum(mul(cast(a!, 'float64'), cast(b!, 'float64'))), {
      a: { data: [2], shape: [1] },
      b: f64([0.1], [1]),
    });
    expect(g.grads['a']).toBeInstanceOf(Float32Array);
    expect(g.grads['b']).toBeInstanceOf(Float64Array);
    expect([...g.grads['a']!, ...g.grads['b']!]).toEqual([Math.fround(0.1), 2]);
  });
});

describe('determinism', () => {
  it('gives bit-identical outputs when the same training step runs twice, and in a second session', async () => {
    // A float32 step big enough for ORT to split work across its 2 intra-op threads: a matmul, a
    // reduction and an embedding gradient with many repeated indices (ScatterElements add).
    const [n, d, v, tokens] = [128, 64, 32, 4096];
    const specs = {
      x: { shape: [n, d] },
      w: { shape: [d, d] },
      emb: { shape: [v, d] },
      ids: { shape: [tokens], dtype: 'int64' as const },
    };
    const step = (t: Record<string, Tensor>) => {
      const h = tanh(matmul(t['x']!, t['w']!)); // (n, d)
      const e = gather(t['emb']!, t['ids']!); // (tokens, d)
      const loss = add(reduceSum(mul(h, h)), reduceSum(mul(e, e)));
      const [gw, gemb] = grad(loss, [t['w']!, t['emb']!]);
      return { loss, gw: gw!, gemb: gemb! };
    };
    const r = (seed: number, size: number) => uniform([size], -1, 1, seed).data;
    const feeds = {
      x: { data: Float32Array.from(r(71, n * d)) },
      w: { data: Float32Array.from(r(72, d * d)) },
      emb: { data: Float32Array.from(r(73, v * d)) },
      ids: { data: Array.from({ length: tokens }, (_, i) => (i * 7919) % v) },
    };
    const bytes = (out: Record<string, { data: ArrayLike<number> | BigInt64Array }>) =>
      Object.values(out).map((o) => Buffer.from((o.data as Float32Array).buffer).toString('base64'));

    const p = Program.compile(specs, step, { threads: 2 });
    const first = bytes(await p.run(feeds));
    expect(bytes(await p.run(feeds))).toEqual(first);
    // A different options key forces a second session over the same model bytes.
    const q = Program.compile(specs, step, { threads: 2, allowCpuFallback: true });
    expect(bytes(await q.run(feeds))).toEqual(first);
  });
});
