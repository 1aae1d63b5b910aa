// Compare core's post-training math against TRL's and OpenRLHF's formulas written in PyTorch
// (fixtures/make_posttrain_fixtures.py, committed with its output fixtures/posttrain.json; CI never runs Python).
import { readFileSync } from 'node:fs';
import { evaluate, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import {
  type DpoLossType,
  dpoLoss,
  type KlKind,
  ktoLoss,
  overlongPenalty,
  type PolicyLossType,
  policyLossAgg,
  ppoClipLoss,
  reinforcePlusPlusAdvantages,
} from '../src/index.js';
import { expectClose, f64 } from './gradcheck.js';

interface Arr {
  data: number[];
  shape: number[];
}
type Case = Record<string, unknown>;
const ref = JSON.parse(readFileSync(new URL('./fixtures/posttrain.json', import.meta.url), 'utf8')) as Record<
  'dpo' | 'kto' | 'grpo' | 'reinforcePlusPlus' | 'overlong',
  Case[]
>;
const input = (c: Case, k: string) => f64((c[k] as Arr).data, (c[k] as Arr).shape);
const data = (c: Case, k: string) => (c[k] as Arr).data;
const num = (c: Case, k: string) => c[k] as number;
const inputs = (c: Case, keys: string[]) => Object.fromEntries(keys.map((k) => [k, input(c, k)]));
const scalar = (t: { data: ArrayLike<number | bigint> }) => Number(t.data[0]);
const TOL = 1e-12;

describe('preference losses against TRL', () => {
  it('dpoLoss matches every loss type: loss, per-row losses, rewards, accuracy, margin and gradients', async () => {
    for (const c of ref.dpo) {
      const x = inputs(c, [
        'chosenLogps',
        'rejectedLogps',
        'refChosenLogps',
        'refRejectedLogps',
        'chosenLengths',
        'rejectedLengths',
      ]);
      const fn = (t: Record<string, Tensor>) =>
        dpoLoss({
          chosenLogps: t['chosenLogps']!,
          rejectedLogps: t['rejectedLogps']!,
          refChosenLogps: t['refChosenLogps']!,
          refRejectedLogps: t['refRejectedLogps']!,
          beta: num(c, 'beta'),
          lossType: c['lossType'] as DpoLossType,
          labelSmoothing: num(c, 'labelSmoothing'),
          gamma: num(c, 'gamma'),
          ...(c['withLengths']
            ? { chosenLengths: t['chosenLengths']!, rejectedLengths: t['rejectedLengths']! }
            : {}),
        });
      const what = `${c['lossType']} beta ${c['beta']}`;
      const out = await evaluate(fn, x);
      expect(scalar(out.loss), what).toBeCloseTo(num(c, 'loss'), 11);
      expectClose(out.losses.data as Float64Array, data(c, 'losses'), TOL);
      expectClose(out.chosenRewards.data as Float64Array, data(c, 'chosenRewards'), TOL);
      expectClose(out.rejectedRewards.data as Float64Array, data(c, 'rejectedRewards'), TOL);
      expect(scalar(out.accuracy), what).toBeCloseTo(num(c, 'accuracy'), 12);
      expect(scalar(out.margin), what).toBeCloseTo(num(c, 'margin'), 12);
      const { grads } = await valueAndGrad((t) => fn(t).loss, x, { wrt: ['chosenLogps', 'rejectedLogps'] });
      expectClose(grads['chosenLogps']!, data(c, 'gradChosen'), TOL);
      expectClose(grads['rejectedLogps']!, data(c, 'gradRejected'), TOL);
    }
  });

  it('ktoLoss matches the loss, the clamped KL reference point, rewards and the gradient', async () => {
    for (const c of ref.kto) {
      const x = inputs(c, ['logps', 'refLogps', 'labels', 'klLogps', 'refKlLogps']);
      const fn = (t: Record<string, Tensor>) =>
        ktoLoss({
          logps: t['logps']!,
          refLogps: t['refLogps']!,
          labels: t['labels']!,
          klLogps: t['klLogps']!,
          refKlLogps: t['refKlLogps']!,
          beta: num(c, 'beta'),
          desirableWeight: num(c, 'desirableWeight'),
          undesirableWeight: num(c, 'undesirableWeight'),
        });
      const out = await evaluate(fn, x);
      expect(scalar(out.loss)).toBeCloseTo(num(c, 'loss'), 12);
      expect(scalar(out.kl)).toBeCloseTo(num(c, 'kl'), 12);
      expectClose(out.rewards.data as Float64Array, data(c, 'rewards'), TOL);
      const { grads } = await valueAndGrad((t) => fn(t).loss, x, { wrt: ['logps'] });
      expectClose(grads['logps']!, data(c, 'gradLogps'), TOL);
    }
    expect(ref.kto.some((c) => c['kl'] === 0)).toBe(true); // the clamp at 0 is exercised
  });
});

describe("the GRPO family against TRL's _compute_loss", () => {
  it('ppoClipLoss matches every loss type, importance-sampling level and KL term, with gradients', async () => {
    for (const c of ref.grpo) {
      const x = {
        ...inputs(c, ['logp', 'oldLogp', 'refLogp', 'mask', 'advantages']),
        n: f64([num(c, 'tokenCount')], []),
      };
      const beta = num(c, 'beta');
      const fn = (t: Record<string, Tensor>) =>
        ppoClipLoss({
          logp: t['logp']!,
          oldLogp: t['oldLogp']!,
          advantages: t['advantages']!,
          mask: t['mask']!,
          clipLow: num(c, 'clipLow'),
          clipHigh: num(c, 'clipHigh'),
          importanceSampling: c['importanceSampling'] as 'token' | 'sequence',
          agg: policyLossAgg[c['lossType'] as PolicyLossType],
          tokenCount: t['n']!,
          ...(beta > 0 ? { refLogp: t['refLogp']!, klCoef: beta } : {}),
        });
      const what = `${c['lossType']} ${c['importanceSampling']} beta ${beta}`;
      const out = await evaluate(fn, x);
      expect(scalar(out.loss), what).toBeCloseTo(num(c, 'loss'), 12);
      if (beta > 0) expect(scalar(out.kl), what).toBeCloseTo(num(c, 'kl'), 12);
      const { grads } = await valueAndGrad((t) => fn(t).loss, x, { wrt: ['logp'] });
      expectClose(grads['logp']!, data(c, 'gradLogp'), TOL);
    }
  });
});

describe('REINFORCE++ and the overlong penalty against OpenRLHF', () => {
  it('reinforcePlusPlusAdvantages matches with and without the group baseline', () => {
    for (const c of ref.reinforcePlusPlus) {
      const out = reinforcePlusPlusAdvantages({
        scores: c['scores'] as number[],
        logp: c['logp'] as number[][],
        refLogp: c['refLogp'] as number[][],
        klCoef: num(c, 'klCoef'),
        kind: c['kind'] as KlKind,
        klClamp: 10,
        ...(c['baselineGroupSize'] === null ? {} : { baselineGroupSize: num(c, 'baselineGroupSize') }),
      });
      (c['advantages'] as number[][]).forEach((row, b) => {
        expectClose(out[b]!, row, TOL);
      });
    }
  });

  it('overlongPenalty matches apply_overlong_penalty', () => {
    for (const c of ref.overlong) {
      const out = overlongPenalty(c['lengths'] as number[], {
        maxLength: num(c, 'maxLength'),
        buffer: num(c, 'buffer'),
        factor: num(c, 'factor'),
      });
      expectClose(out, c['out'] as number[], TOL);
    }
  });
});
