import { describe, expect, it } from 'vitest';
import { evaluate, logSigmoid, reduceSum, valueAndGrad } from './index.js';

describe('logSigmoid', () => {
  it('has derivative σ(−x), including at exactly zero, and stays finite for large |x|', async () => {
    const xs = [0, 1e-9, -1e-9, 3, -3, 50, -50];
    const { grads } = await valueAndGrad(({ x }) => reduceSum(logSigmoid(x!)), {
      x: { data: xs, shape: [xs.length], dtype: 'float64' },
    });
    xs.forEach((x, i) => {
      expect(grads['x']![i]).toBeCloseTo(1 / (1 + Math.exp(x)), 12);
    });
    const y = await evaluate(({ x }) => logSigmoid(x!), {
      x: { data: xs, shape: [xs.length], dtype: 'float64' },
    });
    xs.forEach((x, i) => {
      const ref = x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
      expect(y.data[i]).toBeCloseTo(ref, 12);
    });
  });
});
