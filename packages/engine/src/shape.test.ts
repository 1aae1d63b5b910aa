import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import {
  add,
  cast,
  concat,
  evaluate,
  expand,
  full,
  mul,
  padZeros,
  reduceSum,
  reshape,
  slice,
  split,
  stopGradient,
  transpose,
  valueAndGrad,
  zeros,
} from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
const run = async (fn: Fn, inputs: Record<string, TestInput>) => {
  const r = await evaluate(fn, inputs);
  return { shape: r.shape, data: Array.from(r.data, Number) };
};

// x = [[0 1 2] [3 4 5]]
const x = { x: f64([0, 1, 2, 3, 4, 5], [2, 3]) };

describe('shape primitives', () => {
  it('reshape keeps row-major order and infers one -1 dimension', async () => {
    expect(await run(({ x }) => reshape(x!, [3, -1]), x)).toEqual({
      shape: [3, 2],
      data: [0, 1, 2, 3, 4, 5],
    });
    await expect(evaluate(({ x }) => reshape(x!, [4, -1]), x)).rejects.toThrow(/reshape: cannot reshape/);
  });

  it('transpose permutes axes', async () => {
    expect(await run(({ x }) => transpose(x!, [1, 0]), x)).toEqual({
      shape: [3, 2],
      data: [0, 3, 1, 4, 2, 5],
    });
    // y[i][j][k] = 100 i + 10 j + k, shape [2, 3, 2]; transpose [2, 0, 1] gives z[k][i][j] = y[i][j][k].
    const y: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) y.push(100 * i + 10 * j + k);
    const want: number[] = [];
    for (let k = 0; k < 2; k++)
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(100 * i + 10 * j + k);
    expect(await run(({ y }) => transpose(y!, [2, 0, 1]), { y: f64(y, [2, 3, 2]) })).toEqual({
      shape: [2, 2, 3],
      data: want,
    });
  });

  it('slice takes a window, with negative and out-of-range bounds clamped as in numpy', async () => {
    expect(await run(({ x }) => slice(x!, [1], [3], [1]), x)).toEqual({ shape: [2, 2], data: [1, 2, 4, 5] });
    expect(await run(({ x }) => slice(x!, [-1, -2], [99, 99]), x)).toEqual({ shape: [1, 2], data: [4, 5] });
    expect(await run(({ x }) => slice(x!, [2], [1], [1]), x)).toEqual({ shape: [2, 0], data: [] });
  });

  it('padZeros adds zeros before and after each axis', async () => {
    expect(await run(({ x }) => padZeros(x!, [0, 1], [1, 0]), x)).toEqual({
      shape: [3, 4],
      data: [0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0],
    });
  });

  it('concat joins tensors along an axis', async () => {
    const r = await run(({ x, y }) => concat([x!, y!, x!], -1), { ...x, y: f64([9, 8], [2, 1]) });
    expect(r).toEqual({ shape: [2, 7], data: [0, 1, 2, 9, 0, 1, 2, 3, 4, 5, 8, 3, 4, 5] });
    expect(await run(({ x }) => concat([x!, x!], 0), x)).toEqual({
      shape: [4, 3],
      data: [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5],
    });
  });

  it('split cuts consecutive pieces along an axis and checks the sizes', async () => {
    const parts = await Promise.all([0, 1].map((i) => run(({ x }) => split(x!, [1, 2], 1)[i]!, x)));
    expect(parts).toEqual([
      { shape: [2, 1], data: [0, 3] },
      { shape: [2, 2], data: [1, 2, 4, 5] },
    ]);
    await expect(run(({ x }) => split(x!, [1, 1], 1)[0]!, x)).rejects.toThrow(/split: sizes/);
  });

  it('expand broadcasts size-1 and missing leading axes', async () => {
    const r = await run(({ c }) => expand(c!, [2, 2, 3]), { c: f64([1, 2], [2, 1]) });
    expect(r).toEqual({ shape: [2, 2, 3], data: [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2] });
  });

  it('zeros and full make constant tensors of a dtype', async () => {
    expect(await run(({ x }) => add(x!, zeros([2, 3], 'float64')), x)).toEqual({
      shape: [2, 3],
      data: [0, 1, 2, 3, 4, 5],
    });
    expect(await run(({ x }) => add(x!, full([3], 0.5, 'float64')), x)).toEqual({
      shape: [2, 3],
      data: [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
    });
  });

  it('stopGradient is the identity in the forward pass', async () => {
    expect(await run(({ x }) => stopGradient(x!), x)).toEqual({ shape: [2, 3], data: [0, 1, 2, 3, 4, 5] });
  });
});

describe('cast', () => {
  it('rounds float64 to float32 and widens float32 exactly', async () => {
    const down = await evaluate(({ x }) => cast(x!, 'float32'), { x: f64([0.1, 1 / 3], [2]) });
    expect(down.data).toBeInstanceOf(Float32Array);
    expect([...down.data]).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    const up = await evaluate(({ x }) => cast(x!, 'float64'), { x: { data: [0.1], shape: [1] } });
    expect(up.data).toBeInstanceOf(Float64Array);
    expect([...up.data]).toEqual([Math.fround(0.1)]);
  });

  it('truncates floats toward zero when casting to int32, and maps nonzero to true for bool', async () => {
    const v = { x: f64([-1.7, -0.5, 0, 2.9], [4]) };
    expect(await run(({ x }) => cast(x!, 'int32'), v)).toEqual({ shape: [4], data: [-1, 0, 0, 2] });
    expect(await run(({ x }) => cast(x!, 'bool'), v)).toEqual({ shape: [4], data: [1, 1, 0, 1] });
  });

  it('passes gradients back across float32 and float64 in the dtype of the input', async () => {
    const w = [0.1, -2, 3.25];
    const narrow = await valueAndGrad(({ x, w }) => reduceSum(mul(cast(x!, 'float32'), w!)), {
      x: f64([1, 2, 3], [3]),
      w: { data: w, shape: [3] },
    });
    expect(narrow.grads['x']).toBeInstanceOf(Float64Array);
    expect([...narrow.grads['x']!]).toEqual(w.map(Math.fround));
    const wide = await valueAndGrad(({ x, w }) => reduceSum(mul(cast(x!, 'float64'), w!)), {
      x: { data: [1, 2, 3], shape: [3] },
      w: f64(w, [3]),
    });
    expect(wide.grads['x']).toBeInstanceOf(Float32Array);
    expect([...wide.grads['x']!]).toEqual(w.map(Math.fround));
  });

  it('the gradient through a float32 round trip matches central differences to float32 accuracy', async () => {
    // eps 1e-2 keeps float32 rounding (about 1e-7 relative) well below the tolerance.
    const fn: Fn = ({ x }) => cast(mul(cast(x!, 'float32'), 3), 'float64');
    await gradCheck(fn, { x: uniform([4], -1, 1, 31) }, { eps: 1e-2, tol: 1e-4 });
  });

  it('sends no gradient through a cast to an integer type', async () => {
    const r = await valueAndGrad(({ x }) => reduceSum(mul(x!, cast(cast(x!, 'int32'), 'float64'))), {
      x: f64([1.5, 2.5], [2]),
    });
    expect([...r.grads['x']!]).toEqual([1, 2]);
  });
});

describe('gradients of shape primitives', () => {
  const u = { x: uniform([2, 3, 4], -1, 1, 41) };
  it.each<[string, Fn, Record<string, TestInput>]>([
    ['reshape', ({ x }) => reshape(x!, [4, -1]), u],
    ['transpose', ({ x }) => transpose(x!, [2, 0, 1]), u],
    ['slice over two axes', ({ x }) => slice(x!, [1, -3], [3, -1], [1, 2]), u],
    ['padZeros', ({ x }) => padZeros(x!, [1, 0, 2], [0, 2, 1]), u],
    [
      'concat of three tensors',
      ({ x, y }) => concat([x!, y!, x!], 1),
      { ...u, y: uniform([2, 1, 4], -1, 1, 42) },
    ],
    ['expand', ({ c }) => expand(c!, [2, 3, 4]), { c: uniform([3, 1], -1, 1, 43) }],
    [
      'split (one piece unused)',
      ({ x }) => {
        const [a, , c] = split(x!, [1, 2, 1], 2);
        return concat([mul(c!, 3), a!], 2);
      },
      u,
    ],
  ])('the gradient of %s matches central differences', async (_name, fn, inputs) => {
    await gradCheck(fn, inputs);
  });

  it('stopGradient passes no gradient: d/dx [stop(x) * x] is x, not 2x', async () => {
    const r = await valueAndGrad(({ x }) => reduceSum(mul(stopGradient(x!), x!)), u);
    expect([...r.grads['x']!]).toEqual(Array.from(u.x.data));
  });
});
