import { describe, expect, it } from 'vitest';
import { expectClose, rng, uniform } from '../test/gradcheck.js';
import { overlongPenalty, reinforcePlusPlusAdvantages, zeroStdGroups } from './reinforce-pp.js';

describe('reinforcePlusPlusAdvantages', () => {
  it('normalises rewards-to-go over every token of the batch with the biased variance', () => {
    // No KL: returns are the score at every token, [1, 1] and [-2]; mean 0, variance (1 + 1 + 4) / 3 = 2.
    const out = reinforcePlusPlusAdvantages({
      scores: [1, -2],
      logp: [[-1, -1], [-1]],
      refLogp: [[-1, -1], [-1]],
      klCoef: 0,
    });
    const s = Math.SQRT2;
    expectClose(out[0]!, [1 / s, 1 / s]);
    expectClose(out[1]!, [-2 / s]);
  });

  it("subtracts each prompt's mean score first for the baseline variant", () => {
    // Group of two: scores 1 and -2 become 1.5 and -1.5; returns [1.5, 1.5], [-1.5]; mean 0.5, variance 2.
    const out = reinforcePlusPlusAdvantages({
      scores: [1, -2],
      logp: [[-1, -1], [-1]],
      refLogp: [[-1, -1], [-1]],
      klCoef: 0,
      baselineGroupSize: 2,
    });
    const s = Math.SQRT2;
    expectClose(out[0]!, [1 / s, 1 / s]);
    expectClose(out[1]!, [-2 / s]);
  });

  it('keeps the KL penalty per token in the returns, outside the baseline', () => {
    // Equal scores cancel in the baseline, leaving the KL: k1 = [0.2, -0.4], rewards -0.5 k1 = [-0.1, 0.2].
    const [a] = reinforcePlusPlusAdvantages({
      scores: [1, 1],
      logp: [[-1, -1.4], [-1]],
      refLogp: [[-1.2, -1], [-1]],
      klCoef: 0.5,
      baselineGroupSize: 2,
    });
    // Returns [0.1, 0.2] and [0]: mean 0.1, biased variance (0 + 0.01 + 0.01) / 3.
    const v = (0 + 0.01 + 0.01) / 3;
    expectClose(a!, [0, 0.1 / Math.sqrt(v)]);
  });

  it('gives mean 0 and biased variance 1 over the batch tokens', () => {
    const next = rng(31);
    const lens = [3, 7, 1, 5];
    const rows = lens.map((n) => uniform(next, n, -3, 0));
    const out = reinforcePlusPlusAdvantages({
      scores: uniform(next, 4, -2, 2),
      logp: rows,
      refLogp: rows.map((r) => r.map((x) => x + 0.1)),
      klCoef: 0.05,
      kind: 'k3',
    });
    const all = out.flatMap((r) => Array.from(r));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length).toBeCloseTo(1, 10);
  });

  it('rejects rows that do not match the scores', () => {
    expect(() =>
      reinforcePlusPlusAdvantages({ scores: [1, 2], logp: [[1]], refLogp: [[1]], klCoef: 0 }),
    ).toThrow(/2 scores but 1 logp and 1 refLogp rows/);
  });
});

describe('overlongPenalty', () => {
  it('ramps from 0 at L_max - L_c to -factor at the cap', () => {
    expectClose(overlongPenalty([5, 6, 7, 8, 10], { maxLength: 10, buffer: 4 }), [0, 0, -0.25, -0.5, -1]);
    expectClose(overlongPenalty([8, 12], { maxLength: 10, buffer: 4, factor: 2 }), [-1, -2]);
  });

  it('rejects a buffer outside (0, maxLength]', () => {
    expect(() => overlongPenalty([1], { maxLength: 10, buffer: 0 })).toThrow(/buffer must be > 0/);
    expect(() => overlongPenalty([1], { maxLength: 10, buffer: 11 })).toThrow(
      /buffer must be a number in \[0, 10\]/,
    );
  });
});

describe('zeroStdGroups', () => {
  it('marks the groups whose samples all scored the same', () => {
    expect(zeroStdGroups([1, 1, 1, 1, 2, 1, 0.5, 0.5, 0.5 + 1e-12], 3)).toEqual([true, false, true]);
  });

  it('rejects a group size that does not divide the batch', () => {
    expect(() => zeroStdGroups([1, 2, 3], 2)).toThrow(
      /groupSize must be an integer >= 2 dividing the 3 scores/,
    );
  });
});
