import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import { cumsum, evaluate, mul } from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
const run = async (fn: Fn, inputs: Record<string, TestInput>) => {
  const r = await evaluate(fn, inputs);
  return { shape: r.shape, data: Array.from(r.data, Number) };
};

// [[1 2 3] [4 5 6]]
const x = { x: f64([1, 2, 3, 4, 5, 6], [2, 3]) };

describe('cumsum', () => {
  it('sums prefixes along the last axis by default', async () => {
    expect(await run(({ x }) => cumsum(x!), x)).toEqual({ shape: [2, 3], data: [1, 3, 6, 4, 9, 15] });
  });

  it('sums suffixes when reversed (rewards-to-go)', async () => {
    expect(await run(({ x }) => cumsum(x!, -1, true), x)).toEqual({
      shape: [2, 3],
      data: [6, 5, 3, 15, 11, 6],
    });
  });

  it('works along axis 0 in both directions', async () => {
    expect((await run(({ x }) => cumsum(x!, 0), x)).data).toEqual([1, 2, 3, 5, 7, 9]);
    expect((await run(({ x }) => cumsum(x!, 0, true), x)).data).toEqual([5, 7, 9, 4, 5, 6]);
  });

  it('rejects an axis out of range', async () => {
    await expect(run(({ x }) => cumsum(x!, 2), x)).rejects.toThrow(/axis 2 is out of range/);
  });

  it.each([
    ['forward, last axis', -1, false],
    ['reverse, last axis', -1, true],
    ['forward, axis 0', 0, false],
    ['reverse, axis 1 of 3', 1, true],
  ])('passes a float64 gradient check (%s)', async (_name, axis, reverse) => {
    // The product with x makes the gradient depend on where each element sits in the scan.
    await gradCheck(({ x }) => mul(cumsum(x!, axis, reverse), x!), { x: uniform([3, 4, 2], -1, 1, 81) });
  });
});
