import { describe, expect, it } from 'vitest';
import { expectClose, rng, uniform } from '../test/gradcheck.js';
import { groupNormAdvantages, rlooAdvantages } from './advantages.js';

describe('rlooAdvantages', () => {
  it('subtracts the other sample in groups of two', () => {
    expectClose(rlooAdvantages([1, 2, 3, 4], 2), [-1, 1, -1, 1]);
  });

  it('subtracts the mean of the other three in a group of four', () => {
    expectClose(rlooAdvantages([1, 2, 3, 4], 4), [1 - 3, 2 - 8 / 3, 3 - 7 / 3, 4 - 2]);
  });

  it('equals k/(k-1) times the score minus the group mean, so each group sums to zero', () => {
    const s = uniform(rng(5), 15);
    const a = rlooAdvantages(s, 5);
    for (let g = 0; g < 15; g += 5) {
      const m = s.slice(g, g + 5).reduce((x, y) => x + y, 0) / 5;
      for (let i = g; i < g + 5; i++) expect(a[i]).toBeCloseTo((5 / 4) * (s[i]! - m), 12);
    }
  });

  it('rejects a groupSize that does not divide the batch, or is below 2', () => {
    expect(() => rlooAdvantages([1, 2, 3], 2)).toThrow(
      /rlooAdvantages: groupSize 2 does not divide the batch of 3/,
    );
    expect(() => rlooAdvantages([1, 2], 1)).toThrow(/groupSize must be an integer >= 2/);
    expect(() => rlooAdvantages([1, 2], 1.5)).toThrow(/groupSize must be an integer >= 2/);
    expect(() => rlooAdvantages([], 2)).toThrow(/scores is empty/);
  });
});

describe('groupNormAdvantages', () => {
  it('standardises each group with its unbiased std plus eps 1e-4', () => {
    const s = Math.sqrt(5 / 3) + 1e-4;
    expectClose(groupNormAdvantages([1, 2, 3, 4], 4), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
    expectClose(groupNormAdvantages([0, 1, 5, 5], 2), [
      -0.5 / (Math.SQRT1_2 + 1e-4),
      0.5 / (Math.SQRT1_2 + 1e-4),
      0,
      0,
    ]);
  });

  it('only centres the scores when scaleByStd is false (Dr. GRPO)', () => {
    expectClose(groupNormAdvantages([1, 2, 3, 7], 2, { scaleByStd: false }), [-0.5, 0.5, -2, 2]);
  });

  it('gives zero advantages to a group whose samples all scored the same', () => {
    expectClose(groupNormAdvantages([3, 3, 3, 1, 2, 3], 3).slice(0, 3), [0, 0, 0]);
  });

  it('uses the given eps', () => {
    expectClose(groupNormAdvantages([0, 2], 2, { eps: 1 }), [-1 / (Math.SQRT2 + 1), 1 / (Math.SQRT2 + 1)]);
  });

  it('rejects a groupSize that does not divide the batch and an eps of 0 with scaling', () => {
    expect(() => groupNormAdvantages([1, 2, 3, 4, 5], 2)).toThrow(
      /groupNormAdvantages: groupSize 2 does not divide/,
    );
    expect(() => groupNormAdvantages([1, 2], 2, { eps: 0 })).toThrow(/groupNormAdvantages: eps must be/);
    expectClose(groupNormAdvantages([1, 2], 2, { eps: 0, scaleByStd: false }), [-0.5, 0.5]);
  });
});
