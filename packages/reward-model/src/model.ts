/**
 * The reward model: a backbone of any family with HF's sequence-classification score head (score.weight
 * [1, C], no bias) read at the last non-pad token (rlhf-conventions.md: "The score is read at the last non-pad
 * token"). It saves as XForSequenceClassification (GPT2ForSequenceClassification, LlamaForSequenceClassification,
 * ...), and loads from that layout whoever wrote it (HF, TRL, OpenRLHF).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  constant,
  gatherElements,
  type InputSpec,
  Program,
  Rng,
  type RuntimeOptions,
  reshape,
  type Tensor,
} from '@rlhfkit/engine';
import { writeFileAtomic } from '@rlhfkit/io';
import {
  CausalLM,
  forwardHidden,
  type GPTConfig,
  type HostParams,
  loadCausalLM,
  type Params,
  padRight,
  paramShapes,
  scalarHead,
  type Tokenizer,
} from '@rlhfkit/model';

const SCORE_RANGE = 'score_range.json';

export type ScoreItem = string | { prompt: string; completion: string };

/** Scores (B) of right-padded sequences: the score head at each row's last real token. */
export function scoresAt(p: Params, c: GPTConfig, ids: Tensor, mask: Tensor, last: Tensor): Tensor {
  const [B, T] = ids.shape as [number, number];
  const positions = constPositions(B, T);
  const { hidden } = forwardHidden(p, c, { ids, positions, mask });
  const all = scalarHead(hidden, p, 'score'); // (B, T)
  return reshape(gatherElements(all, reshape(last, [B, 1]), 1), [B]);
}

const constPositions = (B: number, T: number) =>
  constant(
    Array.from({ length: B * T }, (_, i) => i % T),
    [B, T],
    'int64',
  );

/** Score-head init: small random weights (no bias: Bradley-Terry is shift-invariant, a bias gets no signal). */
export function initScoreHead(c: GPTConfig, seed: number): HostParams {
  const rng = new Rng(seed);
  return { 'score.weight': Float32Array.from({ length: c.nEmbd }, () => rng.normal() / Math.sqrt(c.nEmbd)) };
}

/** Shapes of the reward model's parameters: the backbone (no LM head) and the score. */
export const rewardShapes = (c: GPTConfig): Record<string, number[]> => ({
  ...paramShapes(c),
  'score.weight': [1, c.nEmbd],
});

/**
 * A base language model as the backbone of a reward model with this score head: a sequence classifier's
 * config, without the LM head an untied model carries (the score replaces it).
 */
export function asRewardBackbone(base: CausalLM, score: HostParams): CausalLM {
  const config: GPTConfig = { ...base.config, task: 'sequence-classification' };
  const { 'lm_head.weight': _, ...params } = base.params;
  return new CausalLM(config, params, { ...base.heads, ...score }, base.runtime, base.tokenizer);
}

/** Token ids of an item: prompt and completion joined as one text (the same text the policy produced). */
export function encodeItem(tok: Tokenizer, item: ScoreItem): number[] {
  const text = typeof item === 'string' ? item : item.prompt + item.completion;
  return tok.encode(text);
}

/** The scores a reward model gave its held-out pairs (score_range.json): beyond them it extrapolates. */
export interface ScoreRange {
  min: number;
  max: number;
  /** Held-out pairs scored (2 scores each). */
  pairs: number;
}

export class RewardModel {
  /** Set by training when it had held-out pairs; read back by load. */
  scoreRange: ScoreRange | null = null;

  constructor(
    readonly lm: CausalLM,
    readonly tokenizer: Tokenizer,
    /** Longest sequence scored; longer ones keep their last tokens. */
    readonly maxLength = lm.config.nPositions,
  ) {
    if (!lm.heads['score.weight']) throw new Error('RewardModel: the model has no score head (score.weight)');
  }

  static async load(dir: string, runtime: RuntimeOptions = {}): Promise<RewardModel> {
    const lm = await loadCausalLM(dir, runtime);
    if (!lm.tokenizer) throw new Error(`${dir}: a reward model directory needs tokenizer.json`);
    if (!lm.heads['score.weight']) {
      const old = lm.heads['score_head.weight']
        ? ' (its score_head is an older rlhfkit layout: retrain it)'
        : '';
      throw new Error(`${dir}: not a reward model: no score.weight${old} (train one with rlhf train-rm)`);
    }
    const rm = new RewardModel(lm, lm.tokenizer);
    const range = await readFile(join(dir, SCORE_RANGE), 'utf8').catch(() => null);
    if (range !== null) rm.scoreRange = JSON.parse(range) as ScoreRange;
    return rm;
  }

  async save(dir: string): Promise<void> {
    await this.lm.save(dir);
    if (this.scoreRange)
      await writeFileAtomic(join(dir, SCORE_RANGE), `${JSON.stringify(this.scoreRange)}\n`);
  }

  /** Score items in batches of batchSize; returns one score per item, in order. */
  async score(items: readonly ScoreItem[], batchSize = 16): Promise<number[]> {
    return this.scoreTokens(
      items.map((it) => encodeItem(this.tokenizer, it)),
      batchSize,
    );
  }

  /** Score token sequences (already tokenized, e.g. prompt + sampled completion). */
  async scoreTokens(seqs: readonly number[][], batchSize = 16): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < seqs.length; i += batchSize) {
      const chunk = seqs
        .slice(i, i + batchSize)
        .map((s) => (s.length > this.maxLength ? s.slice(-this.maxLength) : s));
      out.push(...(await this.scoreBatch(chunk, batchSize)));
    }
    return out;
  }

  private async scoreBatch(seqs: number[][], B: number): Promise<number[]> {
    const c = this.lm.config;
    const n = seqs.length;
    const T = Math.min(c.nPositions, Math.ceil(Math.max(...seqs.map((s) => s.length)) / 16) * 16);
    const rows = [...seqs, ...Array.from({ length: B - n }, () => [c.eosTokenId])]; // pad the batch to B rows
    const batch = padRight(rows, c.eosTokenId, T);
    const last = rows.map((s) => s.length - 1);
    const shapes = rewardShapes(c);
    const prog = this.lm.program(`score:${B}:${T}`, () => {
      const specs: Record<string, InputSpec> = {
        ids: { shape: [B, T], dtype: 'int64' },
        mask: { shape: [B, T] },
        last: { shape: [B], dtype: 'int64' },
      };
      for (const [k, s] of Object.entries(shapes)) specs[`p/${k}`] = { shape: s };
      return Program.compile(
        specs,
        (x) => {
          const p = Object.fromEntries(Object.keys(shapes).map((k) => [k, x[`p/${k}`]!]));
          return { scores: scoresAt(p, c, x['ids']!, x['mask']!, x['last']!) };
        },
        this.lm.runtime,
      );
    });
    const res = await prog.run({
      ids: { data: batch.ids },
      mask: { data: batch.mask },
      last: { data: last },
      ...this.lm.paramFeeds(),
      'p/score.weight': { data: this.lm.heads['score.weight']! },
    });
    return Array.from(res['scores']!.data as Float32Array).slice(0, n);
  }
}
