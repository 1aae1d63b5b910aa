import { evaluate, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { expectClose, expectGradientsMatch, f64, rng, runScalar, uniform } from '../test/gradcheck.js';
import { type DpoLossType, dpoLoss, dpoLossTypes, ktoLoss } from './preference.js';

type T = Record<string, Tensor>;
const logSig = (x: number) => -Math.log1p(Math.exp(-x));

// Two pairs: log-ratios chosen 0.5, 1; rejected -0.5, 2, so d = 1, -1.
const pairs = {
  c: f64([-3, -4], [2]),
  r: f64([-5, -2], [2]),
  rc: f64([-3.5, -5], [2]),
  rr: f64([-4.5, -4], [2]),
  lc: f64([2, 4], [2]),
  lr: f64([5, 1], [2]),
};
const dpo = (t: T, lossType: DpoLossType, extra: { labelSmoothing?: number; gamma?: number } = {}) =>
  dpoLoss({
    chosenLogps: t['c']!,
    rejectedLogps: t['r']!,
    refChosenLogps: t['rc']!,
    refRejectedLogps: t['rr']!,
    beta: 0.5,
    lossType,
    ...extra,
  });

describe('dpoLoss', () => {
  it('gives -log sigmoid(beta d) for sigmoid and the rewards beta (logp - ref)', async () => {
    const out = await evaluate((t) => dpo(t, 'sigmoid'), pairs);
    expect(Number(out.loss.data[0])).toBeCloseTo(-(logSig(0.5) + logSig(-0.5)) / 2, 12);
    expectClose(out.chosenRewards.data as Float64Array, [0.25, 0.5]);
    expectClose(out.rejectedRewards.data as Float64Array, [-0.25, 1]);
    expect(Number(out.accuracy.data[0])).toBe(0.5);
    expect(Number(out.margin.data[0])).toBeCloseTo((0.5 - 0.5) / 2, 12);
  });

  it('mixes in the flipped label for sigmoid with labelSmoothing (cDPO) and reweights it for robust', async () => {
    const e = 0.1;
    const cdpo = await runScalar((t) => dpo(t, 'sigmoid', { labelSmoothing: e }).loss, pairs);
    const rob = await runScalar((t) => dpo(t, 'robust', { labelSmoothing: e }).loss, pairs);
    const row = (u: number) => -(1 - e) * logSig(u) - e * logSig(-u);
    const rrow = (u: number) => (-(1 - e) * logSig(u) + e * logSig(-u)) / (1 - 2 * e);
    expect(cdpo).toBeCloseTo((row(0.5) + row(-0.5)) / 2, 12);
    expect(rob).toBeCloseTo((rrow(0.5) + rrow(-0.5)) / 2, 12);
  });

  it('gives max(0, 1 - beta d) for hinge', async () => {
    expect(await runScalar((t) => dpo(t, 'hinge').loss, pairs)).toBeCloseTo((0.5 + 1.5) / 2, 12);
  });

  it('gives (d - 1/(2 beta))^2 for ipo, on per-token log-ratios when lengths are given', async () => {
    expect(await runScalar((t) => dpo(t, 'ipo').loss, pairs)).toBeCloseTo((0 + 4) / 2, 12);
    const withLengths = await runScalar(
      (t) =>
        dpoLoss({
          chosenLogps: t['c']!,
          rejectedLogps: t['r']!,
          refChosenLogps: t['rc']!,
          refRejectedLogps: t['rr']!,
          beta: 0.5,
          lossType: 'ipo',
          chosenLengths: t['lc']!,
          rejectedLengths: t['lr']!,
        }).loss,
      pairs,
    );
    // d' = 0.5/2 - (-0.5)/5 = 0.35 and 1/4 - 2/1 = -1.75
    expect(withLengths).toBeCloseTo(((0.35 - 1) ** 2 + (-1.75 - 1) ** 2) / 2, 12);
  });

  it('ignores the reference for simpo and subtracts the margin gamma', async () => {
    const out = await evaluate(
      (t) =>
        dpoLoss({ chosenLogps: t['c']!, rejectedLogps: t['r']!, beta: 2, gamma: 0.5, lossType: 'simpo' }),
      pairs,
    );
    // d0 = -3 - -5 = 2 and -4 - -2 = -2: u = 2 d0 - 0.5 = 3.5, -4.5
    expect(Number(out.loss.data[0])).toBeCloseTo(-(logSig(3.5) + logSig(-4.5)) / 2, 12);
    expectClose(out.chosenRewards.data as Float64Array, [-6, -8]);
    expectClose(out.rejectedRewards.data as Float64Array, [-10, -4]);
  });

  it('has gradients in the policy log-probs that match central differences, and none in the reference', async () => {
    const next = rng(21);
    const x = {
      c: f64(uniform(next, 5, -8, -1), [5]),
      r: f64(uniform(next, 5, -8, -1), [5]),
      rc: f64(uniform(next, 5, -8, -1), [5]),
      rr: f64(uniform(next, 5, -8, -1), [5]),
    };
    for (const lossType of dpoLossTypes) {
      const extra = lossType === 'hinge' || lossType === 'ipo' ? {} : { labelSmoothing: 0.2 };
      await expectGradientsMatch((t) => dpo(t, lossType, extra).loss, x, ['c', 'r']);
      const { grads } = await valueAndGrad((t) => dpo(t, lossType, extra).loss, x, { wrt: ['rc', 'rr'] });
      expectClose(grads['rc']!, [0, 0, 0, 0, 0]);
      expectClose(grads['rr']!, [0, 0, 0, 0, 0]);
    }
  });

  it('pushes the chosen log-prob up and the rejected one down', async () => {
    const { grads } = await valueAndGrad((t) => dpo(t, 'sigmoid').loss, pairs, { wrt: ['c', 'r'] });
    for (const g of grads['c']!) expect(g).toBeLessThan(0);
    for (const g of grads['r']!) expect(g).toBeGreaterThan(0);
  });

  it('rejects settings that cannot apply, naming the argument', async () => {
    await expect(runScalar((t) => dpo(t, 'robust', { labelSmoothing: 0.5 }).loss, pairs)).rejects.toThrow(
      /dpoLoss: labelSmoothing must be < 0.5/,
    );
    await expect(runScalar((t) => dpo(t, 'hinge', { labelSmoothing: 0.1 }).loss, pairs)).rejects.toThrow(
      /labelSmoothing applies to sigmoid, robust and simpo, not hinge/,
    );
    await expect(
      runScalar(
        (t) => dpoLoss({ chosenLogps: t['c']!, rejectedLogps: t['r']!, lossType: 'ipo' }).loss,
        pairs,
      ),
    ).rejects.toThrow(/dpoLoss: ipo needs refChosenLogps and refRejectedLogps/);
    await expect(runScalar((t) => dpo(t, 'kto' as DpoLossType).loss, pairs)).rejects.toThrow(
      /unknown lossType 'kto'; expected one of sigmoid, robust, hinge, ipo, simpo/,
    );
  });
});

describe('ktoLoss', () => {
  // r = logp - ref = [1, -1, 0.5]; labels 1, 0, 0; KL pairs give mean(0.4, -0.2) = 0.1.
  const rows = {
    lp: f64([-2, -4, -3], [3]),
    ref: f64([-3, -3, -3.5], [3]),
    lab: f64([1, 0, 0], [3]),
    klp: f64([-2.6, -3.2], [2]),
    klr: f64([-3, -3], [2]),
  };
  const kto = (t: T, kl = true) =>
    ktoLoss({
      logps: t['lp']!,
      refLogps: t['ref']!,
      labels: t['lab']!,
      beta: 0.5,
      desirableWeight: 1.5,
      undesirableWeight: 0.5,
      ...(kl ? { klLogps: t['klp']!, refKlLogps: t['klr']! } : {}),
    });
  const sig = (x: number) => 1 / (1 + Math.exp(-x));

  it('weights 1 - sigmoid(beta (r - z)) for desirable rows and 1 - sigmoid(beta (z - r)) for the others', async () => {
    const out = await evaluate((t) => kto(t), rows);
    const z = 0.1;
    const expected = [
      1.5 * (1 - sig(0.5 * (1 - z))),
      0.5 * (1 - sig(0.5 * (z + 1))),
      0.5 * (1 - sig(0.5 * (z - 0.5))),
    ];
    expectClose(out.losses.data as Float64Array, expected, 1e-12);
    expect(Number(out.loss.data[0])).toBeCloseTo((expected[0]! + expected[1]! + expected[2]!) / 3, 12);
    expect(Number(out.kl.data[0])).toBeCloseTo(z, 12);
    expectClose(out.rewards.data as Float64Array, [0.5, -0.5, 0.25]);
  });

  it('clamps the KL reference point at 0 and uses 0 without KL pairs', async () => {
    const neg = { ...rows, klp: f64([-4, -4], [2]) };
    expect(Number((await evaluate((t) => kto(t), neg)).kl.data[0])).toBe(0);
    expect(Number((await evaluate((t) => kto(t, false), rows)).kl.data[0])).toBe(0);
  });

  it('has gradients that match central differences, with none through the KL reference point', async () => {
    const next = rng(22);
    const x = {
      lp: f64(uniform(next, 4, -6, -1), [4]),
      ref: f64(uniform(next, 4, -6, -1), [4]),
      lab: f64([1, 0, 1, 0], [4]),
      klp: f64(uniform(next, 4, -4, -1), [4]),
      klr: f64(uniform(next, 4, -6, -3), [4]),
    };
    await expectGradientsMatch((t) => kto(t).loss, x, ['lp']);
    const { grads } = await valueAndGrad((t) => kto(t).loss, x, { wrt: ['klp', 'ref'] });
    expectClose(grads['klp']!, [0, 0, 0, 0]);
    expectClose(grads['ref']!, [0, 0, 0, 0]);
  });
});
