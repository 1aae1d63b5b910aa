// The GRPO family and REINFORCE++ wired into the loop: each setting, on a tiny model, moves its own metric.
import { Rng } from '@rlhfkit/engine';
import type { Sample } from '@rlhfkit/io';
import { describe, expect, it } from 'vitest';
import { countA, first, last, policy, prompts, scorer, base as toy } from '../test/toy.js';
import { pickGroups } from './collect.js';
import { type PPOConfig, ppoConfig } from './config.js';
import { runPPO } from './ppo.js';
import { layoutRollout } from './rollout.js';
import { ruleScorer } from './scorer.js';
import { stackMinibatches } from './update.js';

const grpo: Partial<PPOConfig> = { ...toy, algorithm: 'grpo' };

describe('the GRPO family and REINFORCE++ on a toy task', () => {
  const cases: [string, Partial<PPOConfig>][] = [
    ['dapo loss with clip-higher', { lossType: 'dapo', clipLow: 0.2, clipHigh: 0.28 }],
    ['dr_grpo loss without std scaling', { lossType: 'dr_grpo', grpoScaleByStd: false }],
    ['sequence-level ratios (GSPO)', { lossType: 'grpo', importanceSampling: 'sequence', clip: 0.05 }],
    ['reinforce++', { algorithm: 'reinforce++', groupSize: 1, promptsPerIteration: 16 }],
    ['reinforce++-baseline', { algorithm: 'reinforce++-baseline' }],
  ];
  for (const [name, extra] of cases) {
    it(`raises the mean score by ≥ 2 in 16 iterations with ${name}`, async () => {
      const res = await runPPO({
        config: ppoConfig({ ...grpo, ...extra }),
        policy: policy(),
        scorer,
        prompts,
      });
      const h = res.history;
      expect(last(h, 'objective/scores') - first(h, 'objective/scores')).toBeGreaterThan(2);
      for (const m of h) expect(Number.isFinite(m['loss/policy_avg']!)).toBe(true);
    });
  }

  it('keeps the policy closer to the reference with KL as a loss term', async () => {
    const run = (klLossCoef: number) =>
      runPPO({ config: ppoConfig({ ...grpo, klCoef: 0, klLossCoef }), policy: policy(), scorer, prompts });
    const [free, held] = [await run(0), await run(2)];
    expect(held.history[0]!['loss/kl_avg']).toBeGreaterThanOrEqual(0);
    expect(free.history[0]!['loss/kl_avg']).toBeUndefined();
    expect(last(held.history, 'objective/kl')).toBeLessThan(0.5 * last(free.history, 'objective/kl'));
  });

  it('trains only on groups with reward spread under dynamic sampling, and logs frac_reward_zero_std', async () => {
    // Two prompts always score 1: their groups have zero spread. The others score by length and 'a's.
    const flat = new Set(['the cat', 'a dog']);
    const spready = ruleScorer((p, c) => (flat.has(p) ? 1 : countA(c) + 0.01 * c.length));
    const seen: Sample[] = [];
    const res = await runPPO({
      config: ppoConfig({ ...grpo, iterations: 6, dynamicSampling: true, samplesPerIteration: 16 }),
      policy: policy(),
      scorer: spready,
      prompts,
      sink: (e) => {
        if (e.type === 'samples') seen.push(...e.samples);
      },
    });
    const h = res.history;
    expect(seen).toHaveLength(6 * 16);
    expect(seen.filter((s) => flat.has(s.prompt))).toEqual([]);
    expect(h.some((m) => m['num_gen_batches']! > 1)).toBe(true);
    const frac = h.reduce((s, m) => s + m['frac_reward_zero_std']!, 0) / h.length;
    expect(frac).toBeGreaterThan(0.15);
    expect(frac).toBeLessThan(0.6);
  });

  it('shortens completions with the overlong penalty when the score rewards length', async () => {
    const long = ruleScorer((_p, c) => countA(c) + 0.1 * c.length);
    const run = (overlongBuffer: number) =>
      runPPO({
        config: ppoConfig({ ...grpo, iterations: 12, overlongBuffer, overlongPenalty: 8 }),
        policy: policy(),
        scorer: long,
        prompts,
      });
    const [free, capped] = [await run(0), await run(5)];
    const len = (h: Record<string, number>[]) => last(h, 'val/mean_response_length', 4);
    expect(len(capped.history)).toBeLessThan(len(free.history) - 1);
  });
});

describe('dynamic sampling and the update batch', () => {
  it('picks spread groups first, in order, then fills with zero-spread ones', () => {
    expect(pickGroups([true, false, false, true, false], 2)).toEqual({ picked: [1, 2], fillers: 0 });
    expect(pickGroups([true, false, true], 3)).toEqual({ picked: [1, 0, 2], fillers: 2 });
  });

  it("gives every minibatch the rollout's active-token count (dapo) and the masked response tokens", () => {
    const cfg = ppoConfig({ ...grpo, promptsPerIteration: 1, groupSize: 4, minibatchSize: 2, ppoEpochs: 2 });
    const layout = layoutRollout([[1], [1], [1], [1]], [[5, 6], [5], [7, 7, 7], [8]], 0, 2, 3);
    const respMask = layout.respMask.map((v, i) => (i >= 9 ? 0 : v)); // row 3 masked out: 2 + 1 + 3 tokens
    const z = new Float32Array(12);
    const b = stackMinibatches(
      cfg,
      { layout, respMask, oldLogp: z, refLogp: z, advantages: z, returns: z, oldValues: z },
      new Rng(1),
    );
    expect(Array.from(b['tokenCount']!.data)).toEqual([6, 6, 6, 6]);
    expect(Array.from(b['respMask']!.data).reduce((s, v) => s + v, 0)).toBe(12);
  });
});

describe('ppoConfig for the GRPO family', () => {
  it('fails early on settings that cannot apply, saying what to change', () => {
    expect(() => ppoConfig({ dynamicSampling: true })).toThrow(
      /dynamicSampling: drops groups with zero reward spread: use algorithm grpo, rloo or reinforce\+\+-baseline/,
    );
    expect(() => ppoConfig({ algorithm: 'reinforce', importanceSampling: 'sequence' })).toThrow(
      /importanceSampling 'sequence' act on the clipped ratio, which reinforce does not use: set algorithm grpo/,
    );
    expect(() => ppoConfig({ algorithm: 'reinforce++-baseline', groupSize: 1 })).toThrow(/set groupSize ≥ 2/);
    expect(() => ppoConfig({ overlongBuffer: 30, maxNewTokens: 24 })).toThrow(
      /overlongBuffer: 30 is longer than maxNewTokens 24; try overlongBuffer 6/,
    );
    expect(() => ppoConfig({ clipLow: 1 })).toThrow(/clipLow/);
    expect(() => ppoConfig({ lossType: 'token-mean' as never })).toThrow(/lossType/);
  });
});
