import type { Tensor } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { expectGradientsMatch, f64, rng, runScalar, uniform } from '../test/gradcheck.js';
import { type AggMode, aggModes, aggregate, type PolicyLossType, policyLossAgg } from './agg.js';

const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
const mask = f64([1, 1, 0, 1, 0, 0], [2, 3]);
const n = f64([10], []); // the update batch's active tokens, for global-token-mean
const agg = (mode: AggMode) => (t: Record<string, Tensor>) =>
  aggregate(t['x']!, t['mask']!, mode, 'aggregate', t['n']);

describe('aggregate', () => {
  it('token-mean averages over all unmasked tokens', async () => {
    expect(await runScalar(agg('token-mean'), { x, mask })).toBeCloseTo(7 / 3, 12);
  });

  it('seq-mean-token-mean averages each sequence, then the sequences', async () => {
    expect(await runScalar(agg('seq-mean-token-mean'), { x, mask })).toBeCloseTo((1.5 + 4) / 2, 12);
  });

  it('seq-mean-token-sum averages the per-sequence sums', async () => {
    expect(await runScalar(agg('seq-mean-token-sum'), { x, mask })).toBeCloseTo((3 + 4) / 2, 12);
  });

  it('seq-mean-token-sum-norm divides that by the padded length', async () => {
    expect(await runScalar(agg('seq-mean-token-sum-norm'), { x, mask })).toBeCloseTo(3.5 / 3, 12);
  });

  it('global-token-mean divides the masked sum by the given token count (DAPO)', async () => {
    expect(await runScalar(agg('global-token-mean'), { x, mask, n })).toBeCloseTo(7 / 10, 12);
    await expect(runScalar(agg('global-token-mean'), { x, mask })).rejects.toThrow(
      /agg 'global-token-mean' \(dapo\) needs tokenCount, a scalar float64 tensor/,
    );
  });

  it("maps TRL loss types to modes whose normalisers are TRL's", async () => {
    // x = [[1, 2, 3], [4, 5, 6]] with mask [[1, 1, 0], [1, 0, 0]]: sums 3 and 4 over 2 and 1 tokens.
    const byType = async (t: PolicyLossType) => runScalar(agg(policyLossAgg[t]), { x, mask, n });
    expect(await byType('grpo')).toBeCloseTo((3 / 2 + 4 / 1) / 2, 12);
    expect(await byType('bnpo')).toBeCloseTo(7 / 3, 12);
    expect(await byType('dr_grpo')).toBeCloseTo(7 / (2 * 3), 12);
    expect(await byType('dapo')).toBeCloseTo(7 / 10, 12);
  });

  it('defaults to token-mean', async () => {
    expect(await runScalar((t) => aggregate(t['x']!, t['mask']!), { x, mask })).toBeCloseTo(7 / 3, 12);
  });

  it('counts an all-padding sequence as 0 instead of NaN', async () => {
    const m = f64([1, 1, 0, 0, 0, 0], [2, 3]);
    expect(await runScalar(agg('seq-mean-token-mean'), { x, mask: m })).toBeCloseTo(0.75, 12);
    expect(await runScalar(agg('token-mean'), { x, mask: f64([0, 0, 0, 0, 0, 0], [2, 3]) })).toBe(0);
  });

  it('has gradients that match central differences in every mode', async () => {
    const next = rng(8);
    const inputs = { x: f64(uniform(next, 8), [2, 4]), mask: f64([1, 1, 1, 0, 1, 1, 0, 0], [2, 4]), n };
    for (const mode of aggModes) await expectGradientsMatch(agg(mode), inputs, ['x']);
  });

  it('rejects an unknown mode, a mask of another dtype and a mask of another shape', async () => {
    await expect(runScalar(agg('mean' as AggMode), { x, mask })).rejects.toThrow(
      /aggregate: unknown agg 'mean'; expected one of token-mean/,
    );
    await expect(
      runScalar(agg('token-mean'), { x, mask: { data: [1, 1, 1, 1, 1, 1], shape: [2, 3] } }),
    ).rejects.toThrow(/aggregate: mask is float32 but x is float64/);
    await expect(runScalar(agg('token-mean'), { x, mask: f64([1, 1, 1], [1, 3]) })).rejects.toThrow(
      /aggregate: mask has shape \[1,3\] but x has shape \[2,3\]/,
    );
  });
});
