import { describe, expect, it } from 'vitest';
import { distinctN, watchMetrics } from './watch.js';

describe('distinctN', () => {
  it('counts distinct n-grams over all n-grams of the batch together', () => {
    // bigrams: (1,2) (2,3) | (1,2) (2,1) (1,2): 3 distinct of 5.
    expect(
      distinctN(
        [
          [1, 2, 3],
          [1, 2, 1, 2],
        ],
        2,
      ),
    ).toBeCloseTo(3 / 5, 12);
    expect(distinctN([[7, 7, 7, 7, 7]], 2)).toBeCloseTo(1 / 4, 12);
    expect(distinctN([[1], []], 2)).toBe(1);
  });
});

describe('watchMetrics', () => {
  it('logs length, truncation, distinct-2, KL per token and scores past the reward model range', () => {
    const eos = new Set([0]);
    const m = watchMetrics({
      tokens: [
        [5, 6, 0],
        [5, 5, 5, 5],
      ],
      eosTokenIds: eos,
      klPerRow: [0.3, 0.5],
      scores: [1, 9],
      range: { min: -2, max: 4 },
    });
    expect(m['completions/mean_length']).toBe(3.5);
    expect(m['completions/clipped_ratio']).toBe(0.5);
    expect(m['completions/distinct_2']).toBeCloseTo(2 / 4, 12); // (5,6) | (5,5) x3
    expect(m['objective/kl_per_token']).toBeCloseTo(0.8 / 7, 12);
    expect(m['rm/out_of_range_frac']).toBe(0.5);
    expect(
      watchMetrics({ tokens: [[1]], eosTokenIds: eos, klPerRow: [0], scores: [3] })['rm/out_of_range_frac'],
    ).toBeUndefined();
  });

  it('ends a completion at any of the eos ids (Llama 3 and Qwen list several)', () => {
    const m = watchMetrics({
      tokens: [
        [5, 6, 9],
        [5, 6, 0],
        [5, 6, 3],
      ],
      eosTokenIds: new Set([0, 9]),
      klPerRow: [0, 0, 0],
      scores: [0, 0, 0],
    });
    expect(m['completions/clipped_ratio']).toBeCloseTo(1 / 3, 12);
    // eos ids are left out of the bigrams: (5,6) x3 and (6,3); with them, 4 distinct of 6
    expect(m['completions/distinct_2']).toBe(2 / 4);
  });
});
