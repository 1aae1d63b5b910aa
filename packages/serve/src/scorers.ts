/**
 * What the reward server scores with. A reward model scores each query as one text, as OpenRLHF's serve_rm.py
 * does; a reward function gets the query split into prompt and completion, and the label in `row.label`.
 */

import { callRewardFn, type LoadedRewardFn, type RewardFnRow } from '@rlhfkit/io';
import type { RewardModel } from '@rlhfkit/reward-model';
import { type RewardItem, splitQuery } from './protocol.js';

export interface RewardScorer {
  /** For logs and the health endpoint, e.g. `reward-model runs/rm/model`. */
  readonly name: string;
  /** Whether requests must carry `prompts` (to split each query). */
  readonly needsPrompts: boolean;
  /** One score per item, in order. */
  score(items: readonly RewardItem[]): Promise<number[]>;
}

/** A reward model as a scorer; batchSize is the rows per forward pass (the model pads a batch to it). */
export function rewardModelScorer(rm: RewardModel, name: string, batchSize = 16): RewardScorer {
  return {
    name: `reward-model ${name}`,
    needsPrompts: false,
    score: (items) =>
      rm.score(
        items.map((it) => it.query),
        batchSize,
      ),
  };
}

/** A reward function as a scorer; each call must settle within timeoutMs. */
export function rewardFnScorer(f: LoadedRewardFn, timeoutMs: number): RewardScorer {
  return {
    name: `reward-fn ${f.source}`,
    needsPrompts: true,
    score: (items) => callRewardFn(f, items.map(rewardFnSample), timeoutMs),
  };
}

/** The arguments a reward function gets for one OpenRLHF sample. */
export function rewardFnSample(it: RewardItem): { prompt: string; completion: string; row: RewardFnRow } {
  const row: RewardFnRow = it.label === undefined ? {} : { label: it.label };
  return { ...splitQuery(it.query, it.prompt ?? ''), row };
}
