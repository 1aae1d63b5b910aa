import { describe, expect, it } from 'vitest';
import { expectClose } from '../test/gradcheck.js';
import { tokenRewards } from './rewards.js';

describe('tokenRewards', () => {
  const logp = [-1, -2, -0.5];
  const refLogp = [-1.5, -1, -0.5]; // d = [0.5, -1, 0]

  it('gives -klCoef * k1 per token and adds the score on the last token', () => {
    expectClose(tokenRewards({ score: 2, logp, refLogp, klCoef: 0.1 }), [-0.05, 0.1, 2]);
  });

  it('uses the chosen KL estimator', () => {
    const k3 = [Math.exp(-0.5) - 0.5, Math.E - 2, 0];
    expectClose(tokenRewards({ score: 1, logp, refLogp, klCoef: 0.5, kind: 'k3' }), [
      -0.5 * k3[0]!,
      -0.5 * k3[1]!,
      1,
    ]);
  });

  it('puts the score on the last valid token and zeroes the padding', () => {
    const r = tokenRewards({
      score: 3,
      logp: [...logp, -9],
      refLogp: [...refLogp, 0],
      klCoef: 0.1,
      mask: [1, 1, 0, 0],
    });
    expectClose(r, [-0.05, 0.1 + 3, 0, 0]);
  });

  it('is the score alone on the last token when klCoef is 0', () => {
    expectClose(tokenRewards({ score: -1, logp, refLogp, klCoef: 0 }), [0, 0, -1]);
  });

  it('rejects an empty mask, mismatched lengths, a negative klCoef and an unknown kind', () => {
    expect(() => tokenRewards({ score: 1, logp, refLogp, klCoef: 0.1, mask: [0, 0, 0] })).toThrow(
      /tokenRewards: mask is empty/,
    );
    expect(() => tokenRewards({ score: 1, logp: [], refLogp: [], klCoef: 0.1 })).toThrow(
      /tokenRewards: logp is empty/,
    );
    expect(() => tokenRewards({ score: 1, logp, refLogp: [0], klCoef: 0.1 })).toThrow(
      /tokenRewards: refLogp has 1 entries but logp has 3/,
    );
    expect(() => tokenRewards({ score: 1, logp, refLogp, klCoef: -1 })).toThrow(
      /tokenRewards: klCoef must be/,
    );
    expect(() => tokenRewards({ score: 1, logp, refLogp, klCoef: 1, kind: 'k9' as never })).toThrow(
      /tokenRewards: unknown kind 'k9'/,
    );
    expect(() => tokenRewards({ score: Number.NaN, logp, refLogp, klCoef: 1 })).toThrow(
      /tokenRewards: score/,
    );
  });
});
