import { evaluate, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { expectClose, expectGradientsMatch, f64, rng, run, runScalar, uniform } from '../test/gradcheck.js';
import { aggModes } from './agg.js';
import { ppoClipLoss, reinforceLoss, valueLoss } from './losses.js';

type T = Record<string, Tensor>;
const ones = (n: number) => new Array<number>(n).fill(1);

describe('reinforceLoss', () => {
  const inputs = {
    logp: f64([-1, -2, -0.5, -3], [2, 2]),
    advantages: f64([1, -2, 0.5, 4], [2, 2]),
    mask: f64([1, 1, 1, 0], [2, 2]),
  };
  const loss = (t: T) => reinforceLoss({ logp: t['logp']!, advantages: t['advantages']!, mask: t['mask']! });

  it('is the token-mean of -A logp over the mask', async () => {
    expect(await runScalar(loss, inputs)).toBeCloseTo((1 * 1 + -2 * 2 + 0.5 * 0.5) / 3, 12);
  });

  it('has gradient -A m / sum(m) in logp and none in the advantages', async () => {
    const { grads } = await valueAndGrad(loss, inputs, { wrt: ['logp', 'advantages'] });
    expectClose(grads['logp']!, [-1 / 3, 2 / 3, -0.5 / 3, 0]);
    expectClose(grads['advantages']!, [0, 0, 0, 0]);
  });

  it('has gradients that match central differences in every aggregation mode', async () => {
    for (const agg of aggModes) {
      await expectGradientsMatch(
        (t) =>
          reinforceLoss({
            logp: t['logp']!,
            advantages: t['advantages']!,
            mask: t['mask']!,
            agg,
            tokenCount: t['n']!,
          }),
        { ...inputs, n: f64([5], []) },
        ['logp'],
      );
    }
  });
});

describe('ppoClipLoss', () => {
  // ratios 1.5, 0.5, 1.1, 0.7 against advantages 1, 1, -1, -1 with clip 0.2:
  // token 0 and 3 are clipped on the advantage's side, tokens 1 and 2 are not.
  const ratio = [1.5, 0.5, 1.1, 0.7];
  const inputs = {
    logp: f64(ratio.map(Math.log), [1, 4]),
    oldLogp: f64([0, 0, 0, 0], [1, 4]),
    advantages: f64([1, 1, -1, -1], [1, 4]),
    mask: f64(ones(4), [1, 4]),
  };
  const ppo = (t: T, extra: { dualClip?: number; clipLow?: number; clipHigh?: number } = {}) =>
    ppoClipLoss({
      logp: t['logp']!,
      oldLogp: t['oldLogp']!,
      advantages: t['advantages']!,
      mask: t['mask']!,
      ...extra,
    });

  it('matches a hand computation of the loss, clipFrac and approxKl', async () => {
    const out = await evaluate((t) => ppo(t), inputs);
    // per token: max(-1.5, -1.2) = -1.2; max(-0.5, -0.8) = -0.5; max(1.1, 1.1) = 1.1; max(0.7, 0.8) = 0.8
    expect(Number(out.loss.data[0])).toBeCloseTo((-1.2 - 0.5 + 1.1 + 0.8) / 4, 12);
    expect(Number(out.clipFrac.data[0])).toBeCloseTo(0.5, 12);
    const kl = ratio.reduce((a, r) => a + (r - 1 - Math.log(r)), 0) / 4;
    expect(Number(out.approxKl.data[0])).toBeCloseTo(kl, 12);
  });

  it('has zero gradient for tokens clipped on the advantage side and -A rho / N elsewhere', async () => {
    const { grads } = await valueAndGrad((t) => ppo(t).loss, inputs, {
      wrt: ['logp', 'oldLogp', 'advantages'],
    });
    expectClose(grads['logp']!, [0, -0.5 / 4, 1.1 / 4, 0]);
    expectClose(grads['oldLogp']!, [0, 0, 0, 0]);
    expectClose(grads['advantages']!, [0, 0, 0, 0]);
  });

  it('gives zero gradient exactly where a random batch is clipped on the advantage side', async () => {
    const next = rng(9);
    const n = 64;
    const logp = uniform(next, n, -0.5, 0.5);
    const adv = uniform(next, n, -2, 2);
    const x = {
      logp: f64(logp, [4, 16]),
      oldLogp: f64(new Array(n).fill(0), [4, 16]),
      advantages: f64(adv, [4, 16]),
    };
    const { grads } = await valueAndGrad(
      (t) => ppo(t).loss,
      { ...x, mask: f64(ones(n), [4, 16]) },
      { wrt: ['logp'] },
    );
    let clipped = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.exp(logp[i]!);
      const isClipped = (adv[i]! > 0 && r > 1.2) || (adv[i]! < 0 && r < 0.8);
      clipped += Number(isClipped);
      if (isClipped) expect(grads['logp']![i], `token ${i}`).toBe(0);
      else expect(grads['logp']![i], `token ${i}`).toBeCloseTo((-adv[i]! * r) / n, 12);
    }
    expect(clipped).toBeGreaterThan(5);
  });

  it('never lets a token loss exceed -c A for negative advantages under dual-clip', async () => {
    // With seq-mean-token-sum on one sequence the loss is sum_t m_t l_t, so d loss / d mask = l_t per token.
    const next = rng(10);
    const n = 32;
    const logp = uniform(next, n, -0.2, 3); // ratios up to e^3 = 20, far past c = 3
    const adv = uniform(next, n, -2, 2);
    const x = {
      logp: f64(logp, [1, n]),
      oldLogp: f64(new Array(n).fill(0), [1, n]),
      advantages: f64(adv, [1, n]),
      mask: f64(ones(n), [1, n]),
    };
    const c = 3;
    const perToken = (t: T) =>
      ppoClipLoss({
        logp: t['logp']!,
        oldLogp: t['oldLogp']!,
        advantages: t['advantages']!,
        mask: t['mask']!,
        dualClip: c,
        agg: 'seq-mean-token-sum',
      }).loss;
    const { grads } = await valueAndGrad(perToken, x, { wrt: ['mask', 'logp'] });
    let bound = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.exp(logp[i]!);
      const a = adv[i]!;
      const l = Math.max(-a * r, -a * Math.min(Math.max(r, 0.8), 1.2));
      const expected = a < 0 ? Math.min(l, -c * a) : l;
      expect(grads['mask']![i]).toBeCloseTo(expected, 10);
      if (a < 0) expect(grads['mask']![i]).toBeLessThanOrEqual(-c * a + 1e-12);
      if (a < 0 && -a * r > -c * a) {
        bound++;
        expect(grads['logp']![i], `token ${i} is held at the dual-clip bound`).toBe(0);
      }
    }
    expect(bound).toBeGreaterThan(2);
  });

  it('clips asymmetrically with clipLow and clipHigh', async () => {
    // clipHigh 0.6 leaves ratio 1.5 unclipped; clipLow 0.1 clips 0.7 at 0.9: losses -1.5, -0.5, 1.1, 0.9.
    const loss = await runScalar((t) => ppo(t, { clipLow: 0.1, clipHigh: 0.6 }).loss, inputs);
    expect(loss).toBeCloseTo((-1.5 - 0.5 + 1.1 + 0.9) / 4, 12);
  });

  it('has gradients that match central differences in every aggregation mode', async () => {
    const next = rng(11);
    const x = {
      logp: f64(uniform(next, 12, -0.4, 0.4), [3, 4]),
      oldLogp: f64(uniform(next, 12, -0.1, 0.1), [3, 4]),
      advantages: f64(uniform(next, 12, -2, 2), [3, 4]),
      mask: f64([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0], [3, 4]),
    };
    for (const agg of aggModes) {
      await expectGradientsMatch(
        (t) =>
          ppoClipLoss({
            logp: t['logp']!,
            oldLogp: t['oldLogp']!,
            advantages: t['advantages']!,
            mask: t['mask']!,
            dualClip: 2,
            agg,
            tokenCount: t['n']!,
          }).loss,
        { ...x, n: f64([11], []) },
        ['logp'],
      );
    }
  });

  it('gives every token its row geometric-mean ratio with sequence-level importance sampling (GSPO)', async () => {
    // Row 0: log-ratios 0.2, 0.4 (third token masked) -> ratio e^0.3 = 1.35 > 1.2, clipped for A = 1.
    // Row 1: log-ratios -0.1, 0.1, 0 -> ratio 1, A = -1: loss rho per token, and each of its 3 token losses
    // moves with every logp of the row by rho / 3: gradient 3 (rho / 3) / N = 1/5 per token.
    const x = {
      logp: f64([0.2, 0.4, 5, -0.1, 0.1, 0], [2, 3]),
      oldLogp: f64([0, 0, 0, 0, 0, 0], [2, 3]),
      advantages: f64([1, 1, 1, -1, -1, -1], [2, 3]),
      mask: f64([1, 1, 0, 1, 1, 1], [2, 3]),
    };
    const seq = (t: T) =>
      ppoClipLoss({
        logp: t['logp']!,
        oldLogp: t['oldLogp']!,
        advantages: t['advantages']!,
        mask: t['mask']!,
        importanceSampling: 'sequence',
      });
    const out = await evaluate(seq, x);
    expect(Number(out.loss.data[0])).toBeCloseTo((-1.2 * 2 + 3) / 5, 12);
    expect(Number(out.clipFrac.data[0])).toBeCloseTo(2 / 5, 12);
    const { grads } = await valueAndGrad((t) => seq(t).loss, x, { wrt: ['logp'] });
    expectClose(grads['logp']!, [0, 0, 0, 1 / 5, 1 / 5, 1 / 5]);
  });

  it('adds klCoef times the k3 estimate per token before aggregating, and reports its token-mean', async () => {
    const refLogp = [-0.3, 0.2, 0.1, -0.5];
    const x = { ...inputs, refLogp: f64(refLogp, [1, 4]) };
    const out = await evaluate(
      (t) =>
        ppoClipLoss({
          logp: t['logp']!,
          oldLogp: t['oldLogp']!,
          advantages: t['advantages']!,
          mask: t['mask']!,
          refLogp: t['refLogp']!,
          klCoef: 0.1,
        }),
      x,
    );
    const k3 = ratio.map((r, i) => {
      const d = Math.log(r) - refLogp[i]!;
      return Math.exp(-d) - 1 + d;
    });
    const kl = k3.reduce((a, b) => a + b, 0) / 4;
    expect(Number(out.loss.data[0])).toBeCloseTo((-1.2 - 0.5 + 1.1 + 0.8) / 4 + 0.1 * kl, 12);
    expect(Number(out.kl.data[0])).toBeCloseTo(kl, 12);
  });

  it('has gradients that match central differences with sequence ratios and a KL term in every mode', async () => {
    const next = rng(13);
    const x = {
      logp: f64(uniform(next, 12, -0.4, 0.4), [3, 4]),
      oldLogp: f64(uniform(next, 12, -0.1, 0.1), [3, 4]),
      refLogp: f64(uniform(next, 12, -0.5, 0.5), [3, 4]),
      advantages: f64([0.5, 0.5, 0.5, 0.5, -1, -1, -1, -1, 2, 2, 2, 2], [3, 4]),
      mask: f64([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0], [3, 4]),
      n: f64([13], []),
    };
    for (const agg of aggModes) {
      await expectGradientsMatch(
        (t) =>
          ppoClipLoss({
            logp: t['logp']!,
            oldLogp: t['oldLogp']!,
            advantages: t['advantages']!,
            mask: t['mask']!,
            importanceSampling: 'sequence',
            refLogp: t['refLogp']!,
            klCoef: 0.04,
            clipLow: 0.2,
            clipHigh: 0.28,
            agg,
            tokenCount: t['n']!,
          }).loss,
        x,
        ['logp'],
      );
    }
  });

  it('computes in float32 when its inputs are float32, agreeing with float64 to float32 precision', async () => {
    const f32 = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [k, { data: v.data, shape: v.shape }]),
    );
    const out = await evaluate((t) => ppo(t, { dualClip: 3 }), f32);
    expect(out.loss.data).toBeInstanceOf(Float32Array);
    expect(Number(out.loss.data[0])).toBeCloseTo((-1.2 - 0.5 + 1.1 + 0.8) / 4, 6);
    expect(Number(out.clipFrac.data[0])).toBeCloseTo(0.5, 6);
  });

  it('rejects bad clip settings and mismatched shapes, naming the argument', async () => {
    await expect(runScalar((t) => ppo(t, { dualClip: 1 }).loss, inputs)).rejects.toThrow(
      /ppoClipLoss: dualClip must be a finite number > 1/,
    );
    await expect(runScalar((t) => ppo(t, { clipLow: 1.2 }).loss, inputs)).rejects.toThrow(
      /ppoClipLoss: clipLow must be < 1/,
    );
    await expect(runScalar((t) => ppo(t, { clipHigh: -1 }).loss, inputs)).rejects.toThrow(
      /ppoClipLoss: clipHigh must be/,
    );
    await expect(
      runScalar((t) => ppo(t).loss, { ...inputs, advantages: f64([1, 1], [1, 2]) }),
    ).rejects.toThrow(/ppoClipLoss: advantages has shape \[1,2\] but logp has shape \[1,4\]/);
  });
});

describe('valueLoss', () => {
  const inputs = {
    values: f64([1, 2, 0.5], [1, 3]),
    oldValues: f64([0.5, 2.5, 0.5], [1, 3]),
    returns: f64([2, 1, 1], [1, 3]),
    mask: f64(ones(3), [1, 3]),
  };
  const vl = (t: T, clip?: number) =>
    valueLoss({
      values: t['values']!,
      oldValues: t['oldValues']!,
      returns: t['returns']!,
      mask: t['mask']!,
      ...(clip === undefined ? {} : { clip }),
    });

  it('takes the larger of the clipped and unclipped squared errors, halved', async () => {
    // V_clip = 0.7, 2.3, 0.5: squared errors max(1, 1.69), max(1, 1.69), max(0.25, 0.25).
    const [loss, clipFrac] = await Promise.all([
      runScalar((t) => vl(t).loss, inputs),
      runScalar((t) => vl(t).clipFrac, inputs),
    ]);
    expect(loss).toBeCloseTo((0.5 * (1.69 + 1.69 + 0.25)) / 3, 12);
    expect(clipFrac).toBeCloseTo(2 / 3, 12);
  });

  it('is half the masked mean squared error when clip is Infinity', async () => {
    expect(await runScalar((t) => vl(t, Infinity).loss, inputs)).toBeCloseTo((0.5 * (1 + 1 + 0.25)) / 3, 12);
    expect(await runScalar((t) => vl(t, Infinity).clipFrac, inputs)).toBe(0);
  });

  it('passes no gradient through tokens held by the clipped error', async () => {
    const { grads } = await valueAndGrad((t) => vl(t).loss, inputs, {
      wrt: ['values', 'returns', 'oldValues'],
    });
    expectClose(grads['values']!, [0, 0, (0.5 - 1) / 3]);
    expectClose(grads['returns']!, [0, 0, 0]);
    expectClose(grads['oldValues']!, [0, 0, 0]);
  });

  it('has gradients that match central differences in every aggregation mode', async () => {
    const next = rng(12);
    const x = {
      values: f64(uniform(next, 8), [2, 4]),
      oldValues: f64(uniform(next, 8), [2, 4]),
      returns: f64(uniform(next, 8), [2, 4]),
      mask: f64([1, 1, 1, 0, 1, 1, 1, 1], [2, 4]),
    };
    for (const agg of aggModes) {
      const fn = (t: T) =>
        valueLoss({
          values: t['values']!,
          oldValues: t['oldValues']!,
          returns: t['returns']!,
          mask: t['mask']!,
          agg,
          tokenCount: t['n']!,
        }).loss;
      await expectGradientsMatch(fn, { ...x, n: f64([9], []) }, ['values']);
    }
  });

  it('rejects a non-positive clip and a mask of another dtype', async () => {
    await expect(runScalar((t) => vl(t, 0).loss, inputs)).rejects.toThrow(
      /valueLoss: clip must be a number > 0/,
    );
    await expect(
      run((t) => vl(t).loss, { ...inputs, mask: { data: ones(3), shape: [1, 3] } }),
    ).rejects.toThrow(/valueLoss: mask is float32 but values is float64/);
  });
});
