import { describe, expect, it } from 'vitest';
import { expectClose, rng, uniform } from '../test/gradcheck.js';
import { gae, rewardsToGo } from './returns.js';

/** GAE as the sum over future TD errors, A_t = sum_l (gamma lambda)^l delta_{t+l}: the naive loop. */
function naiveGae(r: number[], v: number[], gamma: number, lambda: number): number[] {
  const delta = r.map((rt, t) => rt + gamma * (v[t + 1] ?? 0) - v[t]!);
  return delta.map((_, t) => {
    let a = 0;
    for (let l = 0; t + l < delta.length; l++) a += (gamma * lambda) ** l * delta[t + l]!;
    return a;
  });
}

describe('rewardsToGo', () => {
  it('sums the future rewards when gamma is 1', () => {
    expectClose(rewardsToGo([1, 2, 3], 1), [6, 5, 3]);
  });

  it('discounts each later reward by a further factor of gamma', () => {
    expectClose(rewardsToGo([1, 2, 3], 0.5), [2.75, 3.5, 3]);
  });

  it('defaults to gamma 1 and returns an empty array for an empty input', () => {
    expectClose(rewardsToGo([0, 0, 1]), [1, 1, 1]);
    expect(rewardsToGo([]).length).toBe(0);
  });

  it('rejects a gamma outside [0, 1] and non-finite rewards, naming the argument', () => {
    expect(() => rewardsToGo([1], 1.5)).toThrow(/rewardsToGo: gamma must be a number in \[0, 1\]/);
    expect(() => rewardsToGo([1, Number.NaN])).toThrow(/rewards\[1\] is NaN/);
  });
});

describe('gae', () => {
  it('matches a hand computation on a three-step sequence', () => {
    // t=2: delta 2 - 1.5 = 0.5; t=1: delta 0 + 1.5 - 1 = 0.5, A = 0.5 + 0.5 * 0.5; t=0: delta 1 + 1 - 0.5.
    const { advantages, returns } = gae([1, 0, 2], [0.5, 1, 1.5], { gamma: 1, lambda: 0.5 });
    expectClose(advantages, [1.875, 0.75, 0.5]);
    expectClose(returns, [2.375, 1.75, 2]);
  });

  it('agrees with the naive sum of discounted TD errors', () => {
    const next = rng(1);
    const r = uniform(next, 12);
    const v = uniform(next, 12);
    const { advantages } = gae(r, v, { gamma: 0.9, lambda: 0.8 });
    expectClose(advantages, naiveGae(r, v, 0.9, 0.8), 1e-12);
  });

  it('with lambda 1 equals rewards-to-go minus values', () => {
    const next = rng(2);
    for (const gamma of [1, 0.9, 0.5]) {
      const r = uniform(next, 10);
      const v = uniform(next, 10);
      const G = rewardsToGo(r, gamma);
      expectClose(
        gae(r, v, { gamma, lambda: 1 }).advantages,
        Array.from(G, (g, t) => g - v[t]!),
        1e-12,
      );
    }
  });

  it('with lambda 0 gives the one-step TD errors', () => {
    const r = [1, -1, 0.5];
    const v = [0.2, 0.4, 0.1];
    const { advantages } = gae(r, v, { gamma: 1, lambda: 0 });
    expectClose(advantages, [1 + 0.4 - 0.2, -1 + 0.1 - 0.4, 0.5 - 0.1]);
  });

  it('returns advantages plus values, and uses gamma 1 and lambda 0.95 by default', () => {
    const r = [0, 0, 1];
    const v = [0.3, 0.6, 0.9];
    const { advantages, returns } = gae(r, v);
    expectClose(
      returns,
      Array.from(advantages, (a, t) => a + v[t]!),
    );
    expectClose(advantages, naiveGae(r, v, 1, 0.95), 1e-12);
  });

  it('treats right padding as the end of the sequence and zeroes it', () => {
    const full = gae([1, 0, 2, 9, 9], [0.5, 1, 1.5, 9, 9], { gamma: 1, lambda: 0.5, mask: [1, 1, 1, 0, 0] });
    expectClose(full.advantages, [1.875, 0.75, 0.5, 0, 0]);
    expectClose(full.returns, [2.375, 1.75, 2, 0, 0]);
  });

  it('rejects mismatched lengths, a bad lambda and a mask of the wrong length', () => {
    expect(() => gae([1, 2], [1])).toThrow(/gae: values has 1 entries but rewards has 2/);
    expect(() => gae([1], [1], { lambda: -0.1 })).toThrow(/gae: lambda must be a number in \[0, 1\]/);
    expect(() => gae([1], [1], { mask: [1, 1] })).toThrow(/gae: mask has 2 entries but rewards has 1/);
  });
});
