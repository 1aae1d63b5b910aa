/**
 * The training objective on one batch of items: the first half of the 2B sequence log-probs are the chosen (or
 * KTO) rows, the second half the rejected (or KTO's mismatched KL) rows. Loss from @rlhfkit/core's dpoLoss or
 * ktoLoss; metrics with TRL's names (rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins,
 * logps/chosen, logps/rejected, and kl for KTO). For KTO, chosen and rejected mean desirable and undesirable
 * rows, averaged over the rows of each kind in the batch (0 when a batch has none).
 */
import { dpoLoss, ktoLoss } from '@rlhfkit/core';
import { div, maximum, mul, reduceMean, reduceSum, reshape, slice, sub, type Tensor } from '@rlhfkit/engine';
import type { DPOConfig } from './config.js';

export interface Objective {
  loss: Tensor;
  metrics: Record<string, Tensor>;
}

/**
 * @param logps (2B,) summed completion log-probs under the policy
 * @param counts (2B,) completion lengths
 * @param ref (2B,) the same under the reference (ignored by simpo)
 * @param labels (B,) 1 for desirable rows (KTO); ignored for pairs
 */
export function preferenceObjective(
  cfg: DPOConfig,
  logps: Tensor,
  counts: Tensor,
  ref: Tensor,
  labels: Tensor,
): Objective {
  const B = labels.shape[0]!;
  const norm = (x: Tensor) => (cfg.averageLogProb ? div(x, maximum(counts, 1)) : x); // (2B,)
  const half = (x: Tensor, i: number) => reshape(slice(x, [i * B], [(i + 1) * B], [0]), [B]); // (B,)
  const [lp, rp] = [norm(logps), norm(ref)];
  if (cfg.lossType === 'kto') {
    const k = ktoLoss({
      logps: half(lp, 0),
      refLogps: half(rp, 0),
      labels,
      klLogps: half(lp, 1),
      refKlLogps: half(rp, 1),
      beta: cfg.beta,
      desirableWeight: cfg.desirableWeight,
      undesirableWeight: cfg.undesirableWeight,
    });
    const undesirable = sub(1, labels);
    const meanOver = (x: Tensor, w: Tensor) => div(reduceSum(mul(x, w)), maximum(reduceSum(w), 1));
    const chosen = meanOver(k.rewards, labels);
    const rejected = meanOver(k.rewards, undesirable);
    return {
      loss: k.loss,
      metrics: {
        'rewards/chosen': chosen,
        'rewards/rejected': rejected,
        'rewards/margins': sub(chosen, rejected),
        'logps/chosen': meanOver(half(lp, 0), labels),
        'logps/rejected': meanOver(half(lp, 0), undesirable),
        kl: k.kl,
      },
    };
  }
  const perToken = cfg.lossType === 'ipo' && !cfg.averageLogProb; // TRL's IPO divides the log-ratios by lengths
  const d = dpoLoss({
    chosenLogps: half(lp, 0),
    rejectedLogps: half(lp, 1),
    refChosenLogps: half(rp, 0),
    refRejectedLogps: half(rp, 1),
    beta: cfg.beta,
    lossType: cfg.lossType,
    labelSmoothing: cfg.labelSmoothing,
    gamma: cfg.gamma,
    ...(perToken ? { chosenLengths: half(counts, 0), rejectedLengths: half(counts, 1) } : {}),
  });
  return {
    loss: d.loss,
    metrics: {
      'rewards/chosen': reduceMean(d.chosenRewards),
      'rewards/rejected': reduceMean(d.rejectedRewards),
      'rewards/accuracies': d.accuracy,
      'rewards/margins': d.margin,
      'logps/chosen': reduceMean(half(lp, 0)),
      'logps/rejected': reduceMean(half(lp, 1)),
    },
  };
}
