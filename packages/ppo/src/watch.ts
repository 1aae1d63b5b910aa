/**
 * The reward-hacking watch, part 1: what every RL iteration logs about its completions, so that a reward that
 * climbs for the wrong reason shows up beside it (Gao et al. 2023; the demo's "like, good, great" hack):
 *   completions/mean_length    mean response tokens (TRL's name)
 *   completions/clipped_ratio  share of completions cut at maxNewTokens without EOS (TRL's name)
 *   completions/distinct_2     distinct token bigrams / all bigrams over the batch's completions (Li et al.
 *                              2016): it falls as completions repeat themselves and each other
 *   objective/kl_per_token     the reward's KL estimate summed over the batch, per response token
 *   rm/out_of_range_frac       share of scores outside the range the reward model gave its held-out pairs
 *                              (score_range.json, written by its training); only when the scorer knows one
 * Part 2, deciding from the history when to raise a flag, is hacking.ts.
 */

/** Distinct n-grams over all n-grams of the sequences together; 1 when no sequence has n tokens. */
export function distinctN(seqs: readonly (readonly number[])[], n = 2): number {
  const seen = new Set<string>();
  let total = 0;
  for (const s of seqs) {
    for (let i = 0; i + n <= s.length; i++) {
      seen.add(s.slice(i, i + n).join(','));
      total++;
    }
  }
  return total === 0 ? 1 : seen.size / total;
}

export interface WatchInputs {
  /** Generated tokens per row, EOS included when sampled. */
  tokens: readonly (readonly number[])[];
  /** Every id that ends a completion. */
  eosTokenIds: ReadonlySet<number>;
  /** Per row: the summed KL estimate of the reward. */
  klPerRow: readonly number[];
  /** Raw scores per row. */
  scores: readonly number[];
  /** The reward model's held-out score range, when known. */
  range?: { min: number; max: number } | undefined;
}

export function watchMetrics(x: WatchInputs): Record<string, number> {
  const B = x.tokens.length;
  const lengths = x.tokens.map((t) => t.length);
  const tokens = lengths.reduce((s, n) => s + n, 0);
  const clipped = x.tokens.filter((t) => !x.eosTokenIds.has(t.at(-1) ?? -1)).length;
  const text = x.tokens.map((t) => t.filter((id) => !x.eosTokenIds.has(id)));
  const out: Record<string, number> = {
    'completions/mean_length': tokens / B,
    'completions/clipped_ratio': clipped / B,
    'completions/distinct_2': distinctN(text, 2),
    'objective/kl_per_token': x.klPerRow.reduce((s, v) => s + v, 0) / Math.max(tokens, 1),
  };
  if (x.range) {
    const { min, max } = x.range;
    out['rm/out_of_range_frac'] = x.scores.filter((s) => s < min || s > max).length / B;
  }
  return out;
}
