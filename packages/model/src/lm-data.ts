/**
 * Language-model training data: a token stream (pretraining on raw text) or supervised examples (fine-tuning,
 * loss on the completion or the assistant's turns only). Both make (B, T) batches from a seeded Rng.
 */
import type { Rng } from '@rlhfkit/engine';

export interface LMBatch {
  /** Input tokens (B, T). */
  ids: Float64Array;
  /** Next-token targets (B, T). */
  targets: Float64Array;
  /** 1 where the target counts towards the loss (B, T). */
  lossMask: Float32Array;
  /** 1 on real (non-padding) input tokens (B, T). */
  attnMask: Float32Array;
}

export interface LMData {
  /** Tokens the loss counts, in total (for tokens/s and epochs). */
  readonly tokens: number;
  batch(rng: Rng, batchSize: number, contextLength: number): LMBatch;
}

function emptyBatch(n: number): LMBatch {
  return {
    ids: new Float64Array(n),
    targets: new Float64Array(n),
    lossMask: new Float32Array(n),
    attnMask: new Float32Array(n),
  };
}

/** Random windows of T + 1 tokens from one stream. */
export function textData(stream: ArrayLike<number>): LMData {
  return {
    tokens: stream.length,
    batch(rng, B, T) {
      if (stream.length < T + 2)
        throw new Error(`text data has ${stream.length} tokens, fewer than a context of ${T} + 1`);
      const out = emptyBatch(B * T);
      for (let b = 0; b < B; b++) {
        const start = rng.int(stream.length - T - 1);
        for (let t = 0; t < T; t++) {
          out.ids[b * T + t] = stream[start + t]!;
          out.targets[b * T + t] = stream[start + t + 1]!;
        }
      }
      out.lossMask.fill(1);
      out.attnMask.fill(1);
      return out;
    },
  };
}

/** One supervised example: its tokens, and 1 on the tokens the loss counts (the completion, or assistant turns). */
export interface SftExample {
  ids: number[];
  lossMask: number[];
}

/** A prompt/completion pair as an example with the loss on the completion only. */
export const promptCompletion = (prompt: number[], completion: number[]): SftExample => ({
  ids: [...prompt, ...completion],
  lossMask: [...prompt.map(() => 0), ...completion.map(() => 1)],
});

/** Examples, right-padded; the loss counts a target only where its token's lossMask is 1. */
export function sftData(examples: readonly SftExample[], padId: number): LMData {
  if (examples.length === 0) throw new Error('sft data: no examples');
  return {
    tokens: examples.reduce((a, e) => a + e.lossMask.reduce((x, y) => x + y, 0), 0),
    batch(rng, B, T) {
      const out = emptyBatch(B * T);
      out.ids.fill(padId);
      out.targets.fill(padId);
      for (let b = 0; b < B; b++) {
        const e = examples[rng.int(examples.length)]!;
        const n = Math.min(e.ids.length, T + 1);
        for (let t = 0; t + 1 < n; t++) {
          out.ids[b * T + t] = e.ids[t]!;
          out.targets[b * T + t] = e.ids[t + 1]!;
          out.attnMask[b * T + t] = 1;
          out.lossMask[b * T + t] = e.lossMask[t + 1]!;
        }
      }
      return out;
    },
  };
}
