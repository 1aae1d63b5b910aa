// Compare @rlhfkit/core against reference values from an independent PyTorch implementation
// (fixtures/make_fixtures.py, committed with its output fixtures/reference.json; CI never runs Python).
import { readFileSync } from 'node:fs';
import { evaluate, mul, reduceSum, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import {
  type AggMode,
  entropyFromLogits,
  gae,
  groupNormAdvantages,
  type KlKind,
  klEstimate,
  klPenalty,
  logProbsFromLogits,
  ppoClipLoss,
  rewardsToGo,
  rlooAdvantages,
  tokenRewards,
  valueLoss,
  whiten,
} from '../src/index.js';
import { expectClose, f64, i64 } from './gradcheck.js';

interface Arr {
  data: number[];
  shape: number[];
}
type Case = Record<string, Arr | number | string | boolean | null>;
const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as {
  host: Record<string, Case[]>;
  ppoClipLoss: Case[];
  valueLoss: Case[];
  logits: Case[];
  klPenalty: Case[];
};

const arr = (c: Case, k: string) => c[k] as Arr;
const num = (c: Case, k: string) => c[k] as number;
const input = (c: Case, k: string) => f64(arr(c, k).data, arr(c, k).shape);
const TOL = 1e-12;

describe('host-side functions against PyTorch', () => {
  it('rewardsToGo matches', () => {
    for (const c of ref.host['rewardsToGo']!)
      expectClose(rewardsToGo(arr(c, 'rewards').data, num(c, 'gamma')), arr(c, 'out').data, TOL);
  });

  it('gae matches for several gamma and lambda', () => {
    for (const c of ref.host['gae']!) {
      const out = gae(arr(c, 'rewards').data, arr(c, 'values').data, {
        gamma: num(c, 'gamma'),
        lambda: num(c, 'lam'),
      });
      expectClose(out.advantages, arr(c, 'advantages').data, TOL);
      expectClose(out.returns, arr(c, 'returns').data, TOL);
    }
  });

  it('whiten matches TRL-style masked whitening with and without shiftMean', () => {
    for (const c of ref.host['whiten']!) {
      const out = whiten(arr(c, 'x').data, {
        mask: arr(c, 'mask').data,
        shiftMean: c['shiftMean'] as boolean,
      });
      expectClose(out, arr(c, 'out').data, TOL);
    }
  });

  it('klEstimate matches k1, k2 and k3', () => {
    for (const c of ref.host['kl']!) {
      expectClose(
        klEstimate(arr(c, 'logp').data, arr(c, 'refLogp').data, c['kind'] as KlKind),
        arr(c, 'out').data,
        TOL,
      );
    }
  });

  it('tokenRewards matches', () => {
    for (const c of ref.host['tokenRewards']!) {
      const out = tokenRewards({
        score: num(c, 'score'),
        logp: arr(c, 'logp').data,
        refLogp: arr(c, 'refLogp').data,
        klCoef: num(c, 'klCoef'),
        kind: c['kind'] as KlKind,
      });
      expectClose(out, arr(c, 'out').data, TOL);
    }
  });

  it('rlooAdvantages and groupNormAdvantages match', () => {
    for (const c of ref.host['rloo']!)
      expectClose(rlooAdvantages(arr(c, 'scores').data, num(c, 'groupSize')), arr(c, 'out').data, TOL);
    for (const c of ref.host['grpo']!) {
      const out = groupNormAdvantages(arr(c, 'scores').data, num(c, 'groupSize'), {
        scaleByStd: c['scaleByStd'] as boolean,
      });
      expectClose(out, arr(c, 'out').data, TOL);
    }
  });
});

describe('in-graph losses against PyTorch autograd', () => {
  it('ppoClipLoss matches loss, clipFrac, approxKl and the gradient in logp, with and without dual-clip', async () => {
    let dualHeld = 0;
    for (const c of ref.ppoClipLoss) {
      const inputs = Object.fromEntries(
        ['logp', 'oldLogp', 'advantages', 'mask'].map((k) => [k, input(c, k)]),
      );
      const fn = (t: Record<string, Tensor>) =>
        ppoClipLoss({
          logp: t['logp']!,
          oldLogp: t['oldLogp']!,
          advantages: t['advantages']!,
          mask: t['mask']!,
          clipLow: num(c, 'clipLow'),
          clipHigh: num(c, 'clipHigh'),
          agg: c['agg'] as AggMode,
          ...(c['dualClip'] === null ? {} : { dualClip: num(c, 'dualClip') }),
        });
      const out = await evaluate(fn, inputs);
      expect(Number(out.loss.data[0])).toBeCloseTo(num(c, 'loss'), 12);
      expect(Number(out.clipFrac.data[0])).toBeCloseTo(num(c, 'clipFrac'), 12);
      expect(Number(out.approxKl.data[0])).toBeCloseTo(num(c, 'approxKl'), 12);
      const { grads } = await valueAndGrad((t) => fn(t).loss, inputs, { wrt: ['logp'] });
      expectClose(grads['logp']!, arr(c, 'gradLogp').data, TOL);
      dualHeld += num(c, 'dualHeld');
    }
    expect(dualHeld, 'the fixture exercises the dual-clip bound').toBeGreaterThan(0);
  });

  it('valueLoss matches loss, clipFrac and the gradient in values', async () => {
    for (const c of ref.valueLoss) {
      const inputs = Object.fromEntries(
        ['values', 'oldValues', 'returns', 'mask'].map((k) => [k, input(c, k)]),
      );
      const fn = (t: Record<string, Tensor>) =>
        valueLoss({
          values: t['values']!,
          oldValues: t['oldValues']!,
          returns: t['returns']!,
          mask: t['mask']!,
          clip: num(c, 'clip'),
          agg: c['agg'] as AggMode,
        });
      const out = await evaluate(fn, inputs);
      expect(Number(out.loss.data[0])).toBeCloseTo(num(c, 'loss'), 12);
      expect(Number(out.clipFrac.data[0])).toBeCloseTo(num(c, 'clipFrac'), 12);
      const { grads } = await valueAndGrad((t) => fn(t).loss, inputs, { wrt: ['values'] });
      expectClose(grads['values']!, arr(c, 'gradValues').data, TOL);
    }
  });

  it('logProbsFromLogits and entropyFromLogits match log_softmax-gather and Categorical.entropy', async () => {
    for (const c of ref.logits) {
      const temperature = num(c, 'temperature');
      const inputs = {
        logits: input(c, 'logits'),
        tokens: i64(arr(c, 'tokens').data, arr(c, 'tokens').shape),
        w: input(c, 'w'),
      };
      const lp = (t: Record<string, Tensor>) =>
        logProbsFromLogits(t['logits']!, t['tokens']!, { temperature });
      const ent = (t: Record<string, Tensor>) => entropyFromLogits(t['logits']!, { temperature });
      const out = await evaluate((t) => ({ lp: lp(t), ent: ent(t) }), inputs);
      expectClose(out.lp.data as Float64Array, arr(c, 'logp').data, TOL);
      expectClose(out.ent.data as Float64Array, arr(c, 'entropy').data, 1e-11);
      const g1 = await valueAndGrad((t) => reduceSum(mul(t['w']!, lp(t))), inputs, { wrt: ['logits'] });
      expectClose(g1.grads['logits']!, arr(c, 'gradLogpLogits').data, TOL);
      const g2 = await valueAndGrad((t) => reduceSum(mul(t['w']!, ent(t))), inputs, { wrt: ['logits'] });
      expectClose(g2.grads['logits']!, arr(c, 'gradEntropyLogits').data, 1e-11);
    }
  });

  it('klPenalty matches each estimator and its gradient in logp', async () => {
    for (const c of ref.klPenalty) {
      const inputs = { logp: input(c, 'logp'), refLogp: input(c, 'refLogp'), w: input(c, 'w') };
      const kind = c['kind'] as KlKind;
      const out = await evaluate((t) => klPenalty(t['logp']!, t['refLogp']!, kind), inputs);
      expectClose(out.data as Float64Array, arr(c, 'out').data, TOL);
      const { grads } = await valueAndGrad(
        (t) => reduceSum(mul(t['w']!, klPenalty(t['logp']!, t['refLogp']!, kind))),
        inputs,
        {
          wrt: ['logp'],
        },
      );
      expectClose(grads['logp']!, arr(c, 'gradLogp').data, TOL);
    }
  });
});
