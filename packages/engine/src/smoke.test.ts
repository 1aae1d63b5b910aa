import { describe, expect, it } from 'vitest';
import { add, evaluate, matmul, mul, reduceSum, tanh, valueAndGrad } from './index.js';

describe('smoke', () => {
  it('evaluates a small program', async () => {
    const r = await evaluate(({ a, b }) => add(mul(a!, b!), 1), {
      a: { data: [1, 2, 3], shape: [3] },
      b: { data: [4, 5, 6], shape: [3] },
    });
    expect([...r.data]).toEqual([5, 11, 19]);
  });
  it('differentiates', async () => {
    const r = await valueAndGrad(({ a, w }) => reduceSum(tanh(matmul(a!, w!))), {
      a: { data: [1, 2, 3, 4], shape: [2, 2], dtype: 'float64' },
      w: { data: [0.1, 0.2, 0.3, 0.4], shape: [2, 2], dtype: 'float64' },
    });
    expect(r.value).toBeGreaterThan(0);
    expect(r.grads['w']!.length).toBe(4);
  });
});
