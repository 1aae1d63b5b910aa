import { describe, expect, it } from 'vitest';
import { AdaptiveKLController, FixedKLController, klControllerFromState } from './kl-controller.js';

describe('FixedKLController', () => {
  it('keeps its value through updates and defaults to 0.05', () => {
    const c = new FixedKLController(0.2);
    c.update(100, 512);
    expect(c.value).toBe(0.2);
    expect(new FixedKLController().value).toBe(0.05);
  });

  it('rejects a negative klCoef and a non-finite KL', () => {
    expect(() => new FixedKLController(-1)).toThrow(/FixedKLController: klCoef must be/);
    expect(() => new FixedKLController(0.1).update(Number.NaN, 1)).toThrow(
      /currentKl must be a finite number/,
    );
  });
});

describe('AdaptiveKLController', () => {
  it('raises beta by at most 20% per horizon when the KL is above target', () => {
    const c = new AdaptiveKLController({ initKlCoef: 0.1, target: 6, horizon: 10000 });
    c.update(9, 256); // error 0.5, clipped to 0.2
    expect(c.value).toBeCloseTo(0.1 * (1 + (0.2 * 256) / 10000), 15);
  });

  it('lowers beta proportionally when the KL is below target', () => {
    const c = new AdaptiveKLController({ initKlCoef: 0.1, target: 6, horizon: 1000 });
    c.update(5.4, 100); // error -0.1
    expect(c.value).toBeCloseTo(0.1 * (1 - (0.1 * 100) / 1000), 15);
  });

  it('leaves beta unchanged at the target KL', () => {
    const c = new AdaptiveKLController({ initKlCoef: 0.3, target: 2, horizon: 10 });
    c.update(2, 5);
    expect(c.value).toBe(0.3);
  });

  it('uses the documented defaults', () => {
    const c = new AdaptiveKLController();
    expect([c.value, c.target, c.horizon]).toEqual([0.05, 6, 10000]);
  });

  it('resumes from state() exactly where it stopped', () => {
    const a = new AdaptiveKLController({ initKlCoef: 0.1, target: 4, horizon: 500 });
    a.update(7, 64);
    const b = klControllerFromState(JSON.parse(JSON.stringify(a.state())));
    a.update(3, 64);
    b.update(3, 64);
    expect(b.value).toBe(a.value);
    expect(klControllerFromState(new FixedKLController(0.3).state()).value).toBe(0.3);
  });

  it('rejects bad settings, bad updates and unknown states, naming the argument', () => {
    expect(() => new AdaptiveKLController({ target: 0 })).toThrow(/AdaptiveKLController: target must be/);
    expect(() => new AdaptiveKLController({ horizon: -5 })).toThrow(/AdaptiveKLController: horizon must be/);
    expect(() => new AdaptiveKLController().update(1, -1)).toThrow(/nSteps must be an integer >= 0/);
    expect(() => klControllerFromState({ kind: 'pid' } as never)).toThrow(/unknown kind 'pid'/);
  });
});
