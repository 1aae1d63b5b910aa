import { reduceSum, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { expectClose, expectGradientsMatch, f64, rng, run, uniform } from '../test/gradcheck.js';
import { klEstimate, klKinds, klPenalty } from './kl.js';

// d = logp - refLogp = [0.5, -1, 0]
const logp = [-1, -2, -0.5];
const refLogp = [-1.5, -1, -0.5];

describe('klEstimate', () => {
  it('computes k1 = d, k2 = d^2/2 and k3 = exp(-d) - 1 + d', () => {
    expectClose(klEstimate(logp, refLogp, 'k1'), [0.5, -1, 0]);
    expectClose(klEstimate(logp, refLogp, 'k2'), [0.125, 0.5, 0]);
    expectClose(klEstimate(logp, refLogp, 'k3'), [Math.exp(-0.5) - 0.5, Math.E - 2, 0]);
  });

  it('uses k1 when no kind is given', () => {
    expectClose(klEstimate(logp, refLogp), [0.5, -1, 0]);
  });

  it('gives k3 >= 0 and k2 >= 0 for any pair of log-probs', () => {
    const next = rng(6);
    const a = uniform(next, 2000, -20, 0);
    const b = uniform(next, 2000, -20, 0);
    expect(Math.min(...klEstimate(a, b, 'k3'))).toBeGreaterThanOrEqual(0);
    expect(Math.min(...klEstimate(a, b, 'k2'))).toBeGreaterThanOrEqual(0);
  });

  it('clamps the estimates to [-clamp, clamp] when asked', () => {
    expectClose(klEstimate([0, -30], [-30, 0], 'k1', { clamp: 10 }), [10, -10]);
    expectClose(klEstimate([-30], [0], 'k3', { clamp: 10 }), [10]);
  });

  it('rejects an unknown kind and mismatched lengths, naming the argument', () => {
    expect(() => klEstimate(logp, refLogp, 'k4' as never)).toThrow(
      /klEstimate: unknown kind 'k4'; expected one of k1, k2, k3/,
    );
    expect(() => klEstimate([1, 2], [1])).toThrow(/klEstimate: refLogp has 1 entries but logp has 2/);
    expect(() => klEstimate([1], [1], 'k1', { clamp: -1 })).toThrow(/klEstimate: clamp must be/);
  });
});

describe('klPenalty', () => {
  const inputs = { logp: f64(logp, [1, 3]), refLogp: f64(refLogp, [1, 3]) };

  it('matches klEstimate for every kind', async () => {
    for (const kind of klKinds) {
      const out = await run(({ logp, refLogp }) => klPenalty(logp!, refLogp!, kind), inputs);
      expectClose(out, klEstimate(logp, refLogp, kind), 1e-12);
    }
  });

  it('has gradients that match central differences, and none flows into refLogp', async () => {
    const next = rng(7);
    const x = { logp: f64(uniform(next, 6, -3, 0), [2, 3]), refLogp: f64(uniform(next, 6, -3, 0), [2, 3]) };
    for (const kind of klKinds) {
      const fn = ({ logp, refLogp }: Record<string, Tensor>) => reduceSum(klPenalty(logp!, refLogp!, kind));
      await expectGradientsMatch(fn, x, ['logp']);
      const { grads } = await valueAndGrad(fn, x, { wrt: ['refLogp'] });
      expect(Array.from(grads['refLogp']!).every((g) => g === 0)).toBe(true);
    }
  });

  it('clamps in-graph as klEstimate does', async () => {
    const out = await run(({ a, b }) => klPenalty(a!, b!, 'k1', { clamp: 10 }), {
      a: f64([0, -30], [2]),
      b: f64([-30, 0], [2]),
    });
    expectClose(out, [10, -10]);
  });

  it('rejects an unknown kind and tensors of different dtypes', async () => {
    await expect(
      run(({ logp, refLogp }) => klPenalty(logp!, refLogp!, 'kl' as never), inputs),
    ).rejects.toThrow(/klPenalty: unknown kind 'kl'/);
    await expect(
      run(({ a, b }) => klPenalty(a!, b!), { a: f64([1], [1]), b: { data: [1], shape: [1] } }),
    ).rejects.toThrow(/klPenalty: refLogp is float32 but logp is float64/);
  });
});
