import { describe, expect, it } from 'vitest';
import { expectClose, rng, uniform } from '../test/gradcheck.js';
import { whiten } from './whiten.js';

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const unbiasedVar = (x: number[]) => {
  const m = mean(x);
  return x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1);
};

describe('whiten', () => {
  it('subtracts the mean and divides by the unbiased std plus eps', () => {
    // mean 2.5; unbiased variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3.
    const s = Math.sqrt(5 / 3 + 1e-8);
    expectClose(whiten([1, 2, 3, 4]), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
  });

  it('gives mean 0 and unbiased variance 1', () => {
    const next = rng(3);
    for (const n of [2, 5, 64]) {
      const w = Array.from(whiten(uniform(next, n, -3, 7)));
      expect(Math.abs(mean(w))).toBeLessThan(1e-12);
      expect(unbiasedVar(w)).toBeCloseTo(1, 6);
    }
  });

  it('gives mean 0 and variance 1 over the masked entries, and 0 where the mask is 0', () => {
    const next = rng(4);
    const x = uniform(next, 20, 0, 10);
    const mask = x.map((_, i) => (i % 3 === 0 ? 0 : 1));
    const w = Array.from(whiten(x, { mask }));
    const kept = w.filter((_, i) => mask[i] === 1);
    expect(Math.abs(mean(kept))).toBeLessThan(1e-12);
    expect(unbiasedVar(kept)).toBeCloseTo(1, 6);
    expect(w.filter((_, i) => mask[i] === 0).every((v) => v === 0)).toBe(true);
  });

  it('ignores masked-out values entirely, however large', () => {
    expectClose(whiten([1, 2, 1e9, 3, 4], { mask: [1, 1, 0, 1, 1] }), [
      ...whiten([1, 2, 3, 4]).slice(0, 2),
      0,
      ...whiten([1, 2, 3, 4]).slice(2),
    ]);
  });

  it('keeps the mean when shiftMean is false and only rescales', () => {
    const s = Math.sqrt(5 / 3 + 1e-8);
    const w = whiten([1, 2, 3, 4], { shiftMean: false });
    expectClose(w, [2.5 - 1.5 / s, 2.5 - 0.5 / s, 2.5 + 0.5 / s, 2.5 + 1.5 / s]);
  });

  it('throws on an empty mask or a single unmasked entry instead of returning NaN', () => {
    expect(() => whiten([1, 2, 3], { mask: [0, 0, 0] })).toThrow(/whiten: mask is empty/);
    expect(() => whiten([1, 2, 3], { mask: [0, 1, 0] })).toThrow(/whiten: mask selects one entry/);
    expect(() => whiten([1])).toThrow(/whiten: x has 1 entries/);
  });

  it('rejects a mask of the wrong length or with values other than 0 and 1', () => {
    expect(() => whiten([1, 2, 3], { mask: [1, 1] })).toThrow(/whiten: mask has 2 entries but x has 3/);
    expect(() => whiten([1, 2, 3], { mask: [1, 0.5, 1] })).toThrow(/whiten: mask\[1\] is 0.5/);
  });
});
