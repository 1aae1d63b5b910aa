import { describe, expect, it } from 'vitest';
import { mulberry32, shuffleInPlace } from './rng.js';

describe('mulberry32', () => {
  it('matches the reference implementation (bryc/code) for seeds 42 and 0', () => {
    const r = mulberry32(42);
    expect([r(), r(), r()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const z = mulberry32(0);
    expect([z(), z()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('gives floats in [0, 1) with a mean near one half', () => {
    const r = mulberry32(7);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.02);
  });
});

describe('shuffleInPlace', () => {
  it('permutes the items and is reproducible for a seed', () => {
    const a = shuffleInPlace(
      Array.from({ length: 50 }, (_, i) => i),
      mulberry32(1),
    );
    const b = shuffleInPlace(
      Array.from({ length: 50 }, (_, i) => i),
      mulberry32(1),
    );
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
