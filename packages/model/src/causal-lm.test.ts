import { describe, expect, it } from 'vitest';
import { referenceLogits } from '../test/reference-gpt.js';
import { CausalLM } from './causal-lm.js';
import { gptConfig } from './config.js';
import { initParams } from './forward.js';

const config = gptConfig({
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  vocabSize: 37,
  nPositions: 32,
  bosTokenId: 0,
  eosTokenId: 0,
});

function tinyLM(seed = 1): CausalLM {
  const params = initParams(config, seed);
  // Larger weights than GPT-2's init so that attention and GELU are far from linear.
  for (const [k, v] of Object.entries(params))
    if (!k.includes('ln_')) for (let i = 0; i < v.length; i++) v[i]! *= 8;
  return new CausalLM(config, params);
}

describe('CausalLM', () => {
  it('matches an independent float64 forward to 1e-4, with right padding in a batch', async () => {
    const lm = tinyLM();
    const seqs = [
      [3, 14, 15, 9, 2, 6, 5],
      [7, 1, 8],
    ];
    const { data, shape } = await lm.logits(seqs);
    expect(shape).toEqual([2, 7, 37]);
    let maxErr = 0;
    seqs.forEach((s, b) => {
      const ref = referenceLogits(config, lm.params, s);
      ref.forEach((row, t) => {
        row.forEach((v, i) => {
          maxErr = Math.max(maxErr, Math.abs(v - data[(b * 7 + t) * 37 + i]!));
        });
      });
    });
    expect(maxErr).toBeLessThan(1e-4);
  });

  // 6 new tokens: one block of decode steps; 22: three blocks of 7 (the cache grows twice).
  it.each([6, 22])(
    'generates greedily the same %i tokens as repeated full forwards, with left-padded prompts',
    async (maxNewTokens) => {
      const lm = tinyLM(2);
      const prompts = [
        [5, 6, 7, 8, 9],
        [11, 12],
      ];
      const gen = await lm.generate(prompts, { maxNewTokens, temperature: 0, eosTokenId: 36 });
      expect(gen.map((g) => g.length)).toEqual([maxNewTokens, maxNewTokens]);
      for (const [b, prompt] of prompts.entries()) {
        const seq = [...prompt];
        for (let i = 0; i < gen[b]!.length; i++) {
          const ref = referenceLogits(config, lm.params, seq);
          const last = ref[ref.length - 1]!;
          const best = last.indexOf(Math.max(...last));
          expect(gen[b]![i]).toBe(best);
          seq.push(best);
        }
      }
    },
  );

  it('samples reproducibly from a seed and returns log-probs at the sampling temperature', async () => {
    const lm = tinyLM(3);
    const prompts = [[1, 2, 3], [4], [5, 6]];
    const opts = { maxNewTokens: 8, temperature: 0.7, eosTokenId: 36, seed: 123 };
    const a = await lm.generateWithLogProbs(prompts, opts);
    const b = await lm.generateWithLogProbs(prompts, opts);
    const c = await lm.generateWithLogProbs(prompts, { ...opts, seed: 124 });
    expect(a).toEqual(b);
    expect(a.tokens).not.toEqual(c.tokens);
    // Check one log-prob against the reference distribution at temperature 0.7.
    const seq = [...prompts[0]!, ...a.tokens[0]!.slice(0, 2)];
    const ref = referenceLogits(config, lm.params, seq.slice(0, 4));
    const z = ref[3]!.map((v) => v / 0.7);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    expect(a.logprobs[0]![1]).toBeCloseTo(z[a.tokens[0]![1]!]! - lse, 3);
  });

  it('keeps only the top-k tokens when sampling with topK', async () => {
    const lm = tinyLM(4);
    const prompt = [2, 3, 4];
    const ref = referenceLogits(config, lm.params, prompt);
    const last = ref[2]!;
    const top2 = [...last.keys()].sort((i, j) => last[j]! - last[i]!).slice(0, 2);
    const seen = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const [t] = await lm.generate([prompt], { maxNewTokens: 1, temperature: 5, topK: 2, seed });
      seen.add(t![0]!);
    }
    expect([...seen].every((t) => top2.includes(t))).toBe(true);
    expect(seen.size).toBe(2);
  });
});
