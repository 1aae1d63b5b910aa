/**
 * Steps 1-3 of the loop: sample prompts (each groupSize times, consecutively), generate, score. With DAPO's
 * dynamic sampling (Yu et al. 2025; verl's filter_groups) a round's groups whose scores all agree are dropped and
 * more rounds are sampled until promptsPerIteration groups have reward spread, for at most
 * dynamicSamplingMaxRounds rounds; still short, the batch is topped up with dropped groups whose rows are marked
 * as fillers, which the update masks out. frac_reward_zero_std is TRL's: the share of generated groups whose
 * scores have zero std (core's zeroStdGroups), over every round.
 */
import { zeroStdGroups } from '@rlhfkit/core';
import type { Rng } from '@rlhfkit/engine';
import type { CausalLM, Tokenizer } from '@rlhfkit/model';
import type { PPOConfig } from './config.js';
import { type RewardPart, type RewardRow, scoreRewards } from './scorer.js';

export interface CollectContext {
  cfg: PPOConfig;
  policy: CausalLM;
  tok: Tokenizer;
  prompts: readonly string[];
  promptTokens: readonly number[][];
  /** The rewards, summed with their weights into each row's score. */
  rewards: readonly RewardPart[];
  /** Each prompt's other dataset columns, for the scorers. */
  promptRows: readonly RewardRow[];
}

/** One group of groupSize samples of one prompt. */
interface Group {
  prompt: number;
  tokens: number[][];
  raw: number[];
  completions: string[];
  /** Each reward's scores, by name. */
  parts: Record<string, number[]>;
  zeroStd: boolean;
}

export interface Collected {
  /** Prompt index per row. */
  rows: number[];
  /** Generated tokens per row (through EOS when sampled). */
  tokens: number[][];
  completions: string[];
  /** Raw scores per row. */
  raw: number[];
  /** Each reward's scores per row, by name (raw is their weighted sum). */
  parts: Record<string, number[]>;
  /** Per row: true for rows of filler groups, which carry no update. */
  filler: boolean[];
  /** Share of generated groups whose scores had zero spread; NaN when groupSize is 1. */
  fracZeroStd: number;
  rounds: number;
  generateS: number;
  scoreS: number;
}

/** Which groups make the batch: spread groups first, in order, then fillers; pure, for tests. */
export function pickGroups(zeroStd: readonly boolean[], need: number): { picked: number[]; fillers: number } {
  const spread = zeroStd.flatMap((z, i) => (z ? [] : [i])).slice(0, need);
  const rest = zeroStd.flatMap((z, i) => (z ? [i] : [])).slice(0, need - spread.length);
  return { picked: [...spread, ...rest], fillers: rest.length };
}

export async function collectRollout(x: CollectContext, rng: Rng): Promise<Collected> {
  const { cfg, tok } = x;
  const k = cfg.groupSize;
  const stops = new Set(x.policy.config.eosTokenIds); // a row ends at any eos id (Llama 3, Qwen list several)
  const groups: Group[] = [];
  let generateS = 0;
  let scoreS = 0;
  let rounds = 0;
  const spreadGroups = () => groups.filter((g) => !g.zeroStd).length;
  do {
    rounds++;
    const picked = Array.from({ length: cfg.promptsPerIteration }, () => rng.int(x.prompts.length));
    const rows = picked.flatMap((i) => Array<number>(k).fill(i));
    let t0 = Date.now();
    const gen = await x.policy.generateWithLogProbs(
      rows.map((i) => x.promptTokens[i]!),
      {
        maxNewTokens: cfg.maxNewTokens,
        temperature: cfg.temperature,
        topK: cfg.topK,
        topP: cfg.topP,
        eosTokenId: [...stops],
        seed: rng.int(2 ** 31),
      },
    );
    generateS += (Date.now() - t0) / 1000;
    t0 = Date.now();
    const completions = gen.tokens.map((t) => tok.decode(t.filter((id) => !stops.has(id))));
    const { total: raw, byName } = await scoreRewards(
      x.rewards,
      rows.map((i) => x.prompts[i]!),
      completions,
      rows.map((i) => x.promptRows[i] ?? {}),
    );
    scoreS += (Date.now() - t0) / 1000;
    const zero = k > 1 ? zeroStdGroups(raw, k) : picked.map(() => false);
    picked.forEach((prompt, g) => {
      const span = [g * k, (g + 1) * k] as const;
      groups.push({
        prompt,
        tokens: gen.tokens.slice(...span),
        raw: raw.slice(...span),
        completions: completions.slice(...span),
        parts: Object.fromEntries(Object.entries(byName).map(([name, v]) => [name, v.slice(...span)])),
        zeroStd: zero[g]!,
      });
    });
  } while (
    cfg.dynamicSampling &&
    spreadGroups() < cfg.promptsPerIteration &&
    rounds < cfg.dynamicSamplingMaxRounds
  );

  const chosen = cfg.dynamicSampling
    ? pickGroups(
        groups.map((g) => g.zeroStd),
        cfg.promptsPerIteration,
      )
    : { picked: groups.map((_, i) => i), fillers: 0 };
  const out: Collected = {
    rows: [],
    tokens: [],
    completions: [],
    raw: [],
    parts: Object.fromEntries(x.rewards.map((r) => [r.name, []])),
    filler: [],
    fracZeroStd: k > 1 ? groups.filter((g) => g.zeroStd).length / groups.length : Number.NaN,
    rounds,
    generateS,
    scoreS,
  };
  chosen.picked.forEach((gi, n) => {
    const g = groups[gi]!;
    const isFiller = n >= chosen.picked.length - chosen.fillers;
    out.rows.push(...Array<number>(k).fill(g.prompt));
    out.tokens.push(...g.tokens);
    out.completions.push(...g.completions);
    out.raw.push(...g.raw);
    for (const [name, v] of Object.entries(g.parts)) out.parts[name]!.push(...v);
    out.filler.push(...Array<boolean>(k).fill(isFiller));
  });
  return out;
}
