import { mul, reduceSum, type Tensor, valueAndGrad } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { expectClose, expectGradientsMatch, f64, i64, rng, run, uniform } from '../test/gradcheck.js';
import { entropyFromLogits, logProbsFromLogits } from './logprobs.js';

type T = Record<string, Tensor>;
const mulSum = (x: Tensor, w: Tensor) => reduceSum(mul(x, w));

/** Host reference: log softmax of one row at one index, and the row's entropy. */
const lse = (z: number[]) => {
  const m = Math.max(...z);
  return m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
};
const entropy = (z: number[]) => {
  const l = lse(z);
  return -z.reduce((a, v) => a + Math.exp(v - l) * (v - l), 0);
};

// (B, T, V) = (1, 2, 3)
const logits = f64([1, 2, 3, 0, 0, 0], [1, 2, 3]);
const tokens = i64([2, 1], [1, 2]);

describe('logProbsFromLogits', () => {
  it('gives the log-softmax at each given token', async () => {
    const out = await run((t) => logProbsFromLogits(t['logits']!, t['tokens']!), { logits, tokens });
    expectClose(out, [3 - lse([1, 2, 3]), -Math.log(3)], 1e-12);
  });

  it('divides the logits by the temperature first', async () => {
    const out = await run((t) => logProbsFromLogits(t['logits']!, t['tokens']!, { temperature: 2 }), {
      logits,
      tokens,
    });
    expectClose(out, [1.5 - lse([0.5, 1, 1.5]), -Math.log(3)], 1e-12);
  });

  it('has gradient onehot - softmax in the logits, matching central differences', async () => {
    // The output is a vector: checks go through the scalar sum(w * logp).
    const sum = (t: T) => {
      const lp = logProbsFromLogits(t['logits']!, t['tokens']!, { temperature: 0.7 });
      return mulSum(lp, t['w']!);
    };
    const next = rng(13);
    const x = {
      logits: f64(uniform(next, 2 * 3 * 5, -2, 2), [2, 3, 5]),
      tokens: i64([0, 4, 2, 1, 1, 3], [2, 3]),
    };
    await expectGradientsMatch(sum, { ...x, w: f64(uniform(next, 6), [2, 3]) }, ['logits']);
    const g = await valueAndGrad((t) => mulSum(logProbsFromLogits(t['logits']!, t['tokens']!), t['w']!), {
      logits,
      tokens,
      w: f64([1, 0], [1, 2]),
    });
    const p = [1, 2, 3].map((z) => Math.exp(z - lse([1, 2, 3])));
    expectClose(g.grads['logits']!, [-p[0]!, -p[1]!, 1 - p[2]!, 0, 0, 0]);
  });

  it('rejects float tokens, tokens of the wrong shape and a bad temperature', async () => {
    const lp = (t: T, temperature?: number) =>
      logProbsFromLogits(t['logits']!, t['tokens']!, temperature === undefined ? {} : { temperature });
    await expect(run((t) => lp(t), { logits, tokens: f64([2, 1], [1, 2]) })).rejects.toThrow(
      /logProbsFromLogits: tokens must be an int64 or int32 tensor, got float64/,
    );
    await expect(run((t) => lp(t), { logits, tokens: i64([2, 1], [2, 1]) })).rejects.toThrow(
      /logProbsFromLogits: tokens has shape \[2,1\] but logits \[1,2,3\] needs \[1,2\]/,
    );
    await expect(run((t) => lp(t, 0), { logits, tokens })).rejects.toThrow(
      /temperature must be a finite number > 0/,
    );
  });
});

describe('entropyFromLogits', () => {
  it('gives the entropy of each position, log V for uniform logits', async () => {
    const out = await run((t) => entropyFromLogits(t['logits']!), { logits });
    expectClose(out, [entropy([1, 2, 3]), Math.log(3)], 1e-12);
  });

  it('stays finite and near 0 for a nearly deterministic position', async () => {
    const out = await run((t) => entropyFromLogits(t['logits']!), { logits: f64([500, 0, -500], [1, 1, 3]) });
    expect(Math.abs(out[0]!)).toBeLessThan(1e-9);
  });

  it('uses the temperature', async () => {
    const out = await run((t) => entropyFromLogits(t['logits']!, { temperature: 2 }), { logits });
    expectClose(out, [entropy([0.5, 1, 1.5]), Math.log(3)], 1e-12);
  });

  it('has gradients that match central differences', async () => {
    const next = rng(14);
    const x = { logits: f64(uniform(next, 2 * 2 * 4, -2, 2), [2, 2, 4]), w: f64(uniform(next, 4), [2, 2]) };
    await expectGradientsMatch((t) => mulSum(entropyFromLogits(t['logits']!), t['w']!), x, ['logits']);
  });

  it('rejects integer logits and a rank below 2', async () => {
    await expect(run((t) => entropyFromLogits(t['x']!), { x: i64([1, 2], [1, 2]) })).rejects.toThrow(
      /entropyFromLogits: logits must be a float32 or float64 tensor/,
    );
    await expect(run((t) => entropyFromLogits(t['x']!), { x: f64([1, 2], [2]) })).rejects.toThrow(
      /entropyFromLogits: logits must have shape \(B, T, V\)/,
    );
  });
});
