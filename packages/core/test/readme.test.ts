// The library example in README.md runs, and the README shows exactly this code (between the markers).
import { readFileSync } from 'node:fs';
import { AdaptiveKLController, gae, ppoClipLoss, tokenRewards, whiten } from '@rlhfkit/core';
import { evaluate } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');

describe('the README library example', () => {
  it('runs and gives a finite loss', async () => {
    // README:begin
    // Host side, per response: KL-shaped rewards, GAE, whitening.
    const kl = new AdaptiveKLController({ initKlCoef: 0.05, target: 6, horizon: 10000 });
    const logp = [-1.2, -0.4, -2.0];
    const refLogp = [-1.0, -0.5, -1.7];
    const rewards = tokenRewards({ score: 1.3, logp, refLogp, klCoef: kl.value });
    const { advantages, returns } = gae(rewards, [0.2, 0.4, 0.9], { gamma: 1, lambda: 0.95 });
    const adv = whiten(advantages);

    // In-graph: the clipped surrogate on (B, T) = (1, 3), differentiable in logp.
    const f64 = (data: ArrayLike<number>) => ({ data, shape: [1, 3], dtype: 'float64' as const });
    const out = await evaluate(
      (x) => ppoClipLoss({ logp: x['logp']!, oldLogp: x['old']!, advantages: x['adv']!, mask: x['mask']! }),
      { logp: f64([-1.1, -0.5, -1.9]), old: f64(logp), adv: f64(adv), mask: f64([1, 1, 1]) },
    );
    // README:end
    expect(returns).toHaveLength(3);
    expect(Number(out.loss.data[0])).toBeCloseTo(0.020693253, 8);
    expect(Number(out.clipFrac.data[0])).toBe(0);
  });

  it('is the code shown in README.md', () => {
    const src = read('./readme.test.ts');
    const body = src.slice(src.indexOf('// README:begin\n') + 16, src.indexOf('    // README:end'));
    const dedented = body
      .split('\n')
      .map((l) => l.slice(4))
      .join('\n');
    expect(read('../README.md')).toContain(dedented);
  });
});
