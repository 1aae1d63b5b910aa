import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import { evaluate, matmul, reduceMax, reduceMean, reduceSum } from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
const run = async (fn: Fn, inputs: Record<string, TestInput>) => {
  const r = await evaluate(fn, inputs);
  return { shape: r.shape, data: Array.from(r.data, Number) };
};

/** Row-major reference matmul with numpy batch broadcasting, by plain loops. */
function refMatmul(a: TestInput, b: TestInput): { shape: number[]; data: number[] } {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const ab = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pa = [...Array(rank - ab.length).fill(1), ...ab];
  const pb = [...Array(rank - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const count = batch.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let flat = 0; flat < count; flat++) {
    // The operands' batch offsets: each batch axis of size 1 stays at 0.
    let rest = flat;
    let offA = 0;
    let offB = 0;
    let strideA = 1;
    let strideB = 1;
    for (let i = rank - 1; i >= 0; i--) {
      const idx = rest % batch[i]!;
      rest = Math.floor(rest / batch[i]!);
      offA += (pa[i] === 1 ? 0 : idx) * strideA;
      offB += (pb[i] === 1 ? 0 : idx) * strideB;
      strideA *= pa[i]!;
      strideB *= pb[i]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++)
          s += a.data[offA * m * k + i * k + p]! * b.data[offB * k * n + p * n + j]!;
        data.push(s);
      }
    }
  }
  return { shape: [...batch, m, n], data };
}

describe('reductions', () => {
  const x = { x: f64([1, 5, 3, 4, 2, 6], [2, 3]) };

  it('reduceSum sums over all axes, one axis, or a negative axis with keepdims', async () => {
    expect(await run(({ x }) => reduceSum(x!), x)).toEqual({ shape: [], data: [21] });
    expect(await run(({ x }) => reduceSum(x!, 0), x)).toEqual({ shape: [3], data: [5, 7, 9] });
    expect(await run(({ x }) => reduceSum(x!, -1, true), x)).toEqual({ shape: [2, 1], data: [9, 12] });
  });

  it('reduceSum over an empty list of axes leaves the tensor as it is', async () => {
    expect(await run(({ x }) => reduceSum(x!, []), x)).toEqual({ shape: [2, 3], data: [1, 5, 3, 4, 2, 6] });
  });

  it('reduceMax takes the largest value over the given axes', async () => {
    expect(await run(({ x }) => reduceMax(x!), x)).toEqual({ shape: [], data: [6] });
    expect(await run(({ x }) => reduceMax(x!, 1), x)).toEqual({ shape: [2], data: [5, 6] });
    expect(await run(({ x }) => reduceMax(x!, 0, true), x)).toEqual({ shape: [1, 3], data: [4, 5, 6] });
  });

  it('reduceMean divides the sum by the number of reduced elements', async () => {
    expect(await run(({ x }) => reduceMean(x!, 1), x)).toEqual({ shape: [2], data: [3, 4] });
    expect(await run(({ x }) => reduceMean(x!), x)).toEqual({ shape: [], data: [3.5] });
  });

  const u = { x: uniform([2, 3, 4], -1, 1, 11) };
  it.each<[string, Fn]>([
    ['reduceSum over all axes', ({ x }) => reduceSum(x!)],
    ['reduceSum over axes 0 and 2', ({ x }) => reduceSum(x!, [0, 2])],
    ['reduceSum with keepdims', ({ x }) => reduceSum(x!, 1, true)],
    ['reduceMax over one axis', ({ x }) => reduceMax(x!, 1)],
    ['reduceMax over all axes', ({ x }) => reduceMax(x!)],
    ['reduceMean over the last axis', ({ x }) => reduceMean(x!, -1, true)],
  ])('the gradient of %s matches central differences', async (_name, fn) => {
    await gradCheck(fn, u);
  });
});

describe('matmul', () => {
  it('multiplies two matrices', async () => {
    const x = { a: f64([1, 2, 3, 4, 5, 6], [2, 3]), b: f64([7, 8, 9, 10, 11, 12], [3, 2]) };
    // [1 2 3; 4 5 6] @ [7 8; 9 10; 11 12] = [58 64; 139 154]
    expect(await run(({ a, b }) => matmul(a!, b!), x)).toEqual({ shape: [2, 2], data: [58, 64, 139, 154] });
  });

  it('multiplies float32 matrices in float32', async () => {
    const r = await evaluate(({ a, b }) => matmul(a!, b!), {
      a: { data: [1, 2, 3, 4], shape: [2, 2] },
      b: { data: [0.5, 0, 0, 2], shape: [2, 2] },
    });
    expect(r.data).toBeInstanceOf(Float32Array);
    expect([...r.data]).toEqual([0.5, 4, 1.5, 8]);
  });

  const shapes: Array<[number[], number[]]> = [
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [1, 4, 5],
    ],
    [
      [3, 4],
      [2, 4, 5],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
  ];

  it.each(shapes)('broadcasts batch dimensions like numpy for %j @ %j', async (sa, sb) => {
    const a = uniform(sa, -1, 1, 21);
    const b = uniform(sb, -1, 1, 22);
    const want = refMatmul(a, b);
    const got = await run((t) => matmul(t['a']!, t['b']!), { a, b });
    expect(got.shape).toEqual(want.shape);
    expect(got.data).toEqual(want.data.map((v) => expect.closeTo(v, 13)));
  });

  it.each([
    ...shapes,
    [
      [3, 4],
      [4, 2],
    ] as [number[], number[]],
  ])('the gradient of matmul matches central differences for %j @ %j', async (sa, sb) => {
    await gradCheck((t) => matmul(t['a']!, t['b']!), {
      a: uniform(sa, -1, 1, 23),
      b: uniform(sb, -1, 1, 24),
    });
  });

  it('rejects mismatched inner dimensions', async () => {
    const x = { a: f64([1, 2, 3, 4, 5, 6], [2, 3]), b: f64([1, 2, 3, 4], [2, 2]) };
    await expect(evaluate(({ a, b }) => matmul(a!, b!), x)).rejects.toThrow(
      /matmul: inner dimensions differ/,
    );
  });
});
