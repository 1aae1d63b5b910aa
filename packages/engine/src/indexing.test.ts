import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import {
  argmax,
  evaluate,
  gather,
  gatherElements,
  mul,
  reduceSum,
  scatterAdd,
  scatterND,
  topK,
  valueAndGrad,
} from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
const run = async (fn: Fn, inputs: Record<string, TestInput>) => {
  const r = await evaluate(fn, inputs);
  return { shape: r.shape, data: Array.from(r.data, Number) };
};
const ints = (data: number[], shape: number[], dtype: 'int32' | 'int64' = 'int64'): TestInput => ({
  data,
  shape,
  dtype,
});

// table = [[0 1] [10 11] [20 21]]
const table = f64([0, 1, 10, 11, 20, 21], [3, 2]);

describe('gather', () => {
  it('picks rows by index, repeats included, with int64 or int32 indices', async () => {
    const want = { shape: [3, 2], data: [20, 21, 0, 1, 20, 21] };
    expect(await run(({ t, i }) => gather(t!, i!), { t: table, i: ints([2, 0, 2], [3]) })).toEqual(want);
    expect(await run(({ t, i }) => gather(t!, i!), { t: table, i: ints([2, 0, 2], [3], 'int32') })).toEqual(
      want,
    );
  });

  it('gathers along a later axis with a 2-D index tensor, and counts negative indices from the end', async () => {
    const r = await run(({ t, i }) => gather(t!, i!, 1), { t: table, i: ints([1, 0, -1, 1], [2, 2]) });
    expect(r).toEqual({ shape: [3, 2, 2], data: [1, 0, 1, 1, 11, 10, 11, 11, 21, 20, 21, 21] });
  });

  it('the gradient of gather along axis 0 with repeated indices matches central differences', async () => {
    await gradCheck(({ t, i }) => gather(t!, i!), {
      t: uniform([4, 3], -1, 1, 51),
      i: ints([3, 1, 1, 0, 3], [5]),
    });
  });

  it('the gradient of gather along axis 1 with a 2-D index, negative entries included, matches central differences', async () => {
    const i = ints([2, 0, -1, 2, 1, -3], [2, 3], 'int32');
    await gradCheck(({ t, i }) => gather(t!, i!, 1), { t: uniform([2, 3, 2], -1, 1, 52), i });
  });
});

describe('gatherElements', () => {
  it('picks one element per index position along an axis', async () => {
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = await run(({ x, i }) => gatherElements(x!, i!, 1), { x, i: ints([2, 0, 1, 1], [2, 2]) });
    expect(r).toEqual({ shape: [2, 2], data: [3, 1, 5, 5] });
    const c = await run(({ x, i }) => gatherElements(x!, i!, 0), { x, i: ints([1, 0, 1], [1, 3]) });
    expect(c).toEqual({ shape: [1, 3], data: [4, 2, 6] });
  });

  it('the gradient of gatherElements with repeated indices matches central differences', async () => {
    const i = ints([0, 0, 3, 2, 1, 1, 1, 3], [2, 4]);
    await gradCheck(({ x, i }) => gatherElements(x!, i!, 1), { x: uniform([2, 4], -1, 1, 53), i });
  });
});

describe('scatterAdd', () => {
  it('adds updates into data at the indices, summing repeats', async () => {
    const r = await run(({ d, i, u }) => scatterAdd(d!, i!, u!, 0), {
      d: f64([100, 200, 300], [3]),
      i: ints([0, 2, 0], [3]),
      u: f64([1, 2, 3], [3]),
    });
    expect(r).toEqual({ shape: [3], data: [104, 200, 302] });
  });

  it('scatters along axis 1 of a matrix', async () => {
    const r = await run(({ d, i, u }) => scatterAdd(d!, i!, u!, 1), {
      d: f64([0, 0, 0, 0, 0, 0], [2, 3]),
      i: ints([2, 2, 0, 1], [2, 2], 'int32'),
      u: f64([1, 2, 3, 4], [2, 2]),
    });
    expect(r).toEqual({ shape: [2, 3], data: [0, 0, 3, 3, 4, 0] });
  });

  it('the gradient of scatterAdd with respect to data and updates matches central differences', async () => {
    await gradCheck(({ d, i, u }) => mul(scatterAdd(d!, i!, u!, 0), d!), {
      d: uniform([3, 2], -1, 1, 54),
      i: ints([2, 0, 2, 2, 1, 0, 2, 2], [4, 2]),
      u: uniform([4, 2], -1, 1, 55),
    });
  });
});

describe('scatterND', () => {
  it('replaces whole slices at index tuples and leaves the rest of data as it was', async () => {
    // data (2, 3, 2); write row [b, j] for (b, j) = (0, 2) and (1, 0).
    const r = await run(({ d, i, u }) => scatterND(d!, i!, u!), {
      d: f64([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 3, 2]),
      i: ints([0, 2, 1, 0], [2, 1, 2]),
      u: f64([-1, -2, -3, -4], [2, 1, 2]),
    });
    expect(r).toEqual({ shape: [2, 3, 2], data: [0, 1, 2, 3, -1, -2, -3, -4, 8, 9, 10, 11] });
  });

  it('rejects updates whose shape does not follow the indices, and has no gradient rule', async () => {
    await expect(
      run(({ d, i, u }) => scatterND(d!, i!, u!), {
        d: f64([0, 1, 2, 3], [2, 2]),
        i: ints([1], [1, 1]),
        u: f64([5], [1, 1]),
      }),
    ).rejects.toThrow(/scatterND: updates .* must be \[1,2\]/);
    await expect(
      valueAndGrad(({ d, i, u }) => reduceSum(scatterND(d!, i!, u!)), {
        d: f64([0, 1, 2, 3], [2, 2]),
        i: ints([1], [1, 1]),
        u: f64([5, 6], [1, 2]),
      }),
    ).rejects.toThrow(/no gradient rule for op 'scatterND'/);
  });
});

describe('argmax and topK', () => {
  const x = f64([1, 3, 3, 0, 2, 1, 0, 5], [2, 4]);

  it('argmax returns the index of the first maximum along an axis', async () => {
    expect(await run(({ x }) => argmax(x!), { x })).toEqual({ shape: [2], data: [1, 3] });
    expect(await run(({ x }) => argmax(x!, 0), { x })).toEqual({ shape: [4], data: [1, 0, 0, 1] });
  });

  it('topK returns the k largest values on the last axis, sorted, with their indices', async () => {
    const r = await evaluate(
      ({ x }) => {
        const { values, indices } = topK(x!, 2);
        return { values, indices };
      },
      { x },
    );
    expect(Array.from(r.values.data, Number)).toEqual([3, 3, 5, 2]);
    expect(Array.from(r.indices.data, Number)).toEqual([1, 2, 3, 0]);
  });

  it('the gradient of topK values matches central differences', async () => {
    await gradCheck(({ x }) => topK(x!, 3).values, { x: uniform([2, 5], -1, 1, 56) });
  });

  it('sends the gradient of a topK value to the element it came from', async () => {
    const r = await valueAndGrad(({ x }) => reduceSum(topK(x!, 2).values), { x: f64([4, 1, 3, 2], [1, 4]) });
    expect([...r.grads['x']!]).toEqual([1, 0, 1, 0]);
  });
});
