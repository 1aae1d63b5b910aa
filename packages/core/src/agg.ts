// Loss aggregation over (sequence, token): how a (B, T) matrix of per-token losses becomes one scalar
// (rlhf-conventions.md, "loss aggregation"; the mode names are verl's). With mask m and per-token loss l:
//   token-mean               sum(m l) / sum(m)                  every token weighs the same (default)
//   seq-mean-token-mean      mean_b( sum_t m l / sum_t m )      every sequence weighs the same
//   seq-mean-token-sum       mean_b( sum_t m l )                long sequences weigh more
//   seq-mean-token-sum-norm  mean_b( sum_t m l ) / T            Dr. GRPO: a constant normaliser, T the padded
//                                                               length (verl divides the batch sum by T alone)
//   global-token-mean        sum(m l) / n                       DAPO: n is the number of active tokens in the
//                                                               whole update batch, passed in by the caller, so
//                                                               a minibatch's tokens weigh what they weigh in it
// TRL's GRPO loss types are these modes (trl/trainer/grpo_trainer.py `_compute_loss`; `policyLossAgg` below):
//   grpo     = seq-mean-token-mean      ((l m).sum(-1) / m.sum(-1).clamp(min=1)).mean()
//   bnpo     = token-mean               (l m).sum() / m.sum().clamp(min=1), over the local (mini)batch
//   dr_grpo  = seq-mean-token-sum-norm  (l m).sum() / (B * max_completion_length); here T = maxNewTokens
//   dapo     = global-token-mean        (l m).sum() / num_items_in_batch, the active tokens of the whole
//                                       generation batch (all its optimizer steps), counted once per rollout
// verl's agg_loss 'token-mean' normalises by the global token count of one optimizer step's mini-batch, which is
// bnpo here (an optimizer step is one forward); dapo differs from bnpo when a rollout spans several minibatches.
// Masks are float tensors holding 0 and 1, of the loss's dtype. Every denominator is clamped to at least 1, so
// an all-padding sequence adds 0 instead of NaN; with a 0/1 mask that changes nothing else. Ranks other than 2
// work too: the last axis is the token axis and every other axis indexes sequences.
import { div, maximum, mul, reduceMean, reduceSum, stopGradient, type Tensor } from '@rlhfkit/engine';
import { oneOf, sameTensors } from './args.js';

/** How per-token losses are reduced to a scalar; see agg.ts. */
export type AggMode =
  | 'token-mean'
  | 'seq-mean-token-mean'
  | 'seq-mean-token-sum'
  | 'seq-mean-token-sum-norm'
  | 'global-token-mean';

export const aggModes: readonly AggMode[] = [
  'token-mean',
  'seq-mean-token-mean',
  'seq-mean-token-sum',
  'seq-mean-token-sum-norm',
  'global-token-mean',
];

/** TRL's GRPO loss_type names. */
export type PolicyLossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

export const policyLossTypes: readonly PolicyLossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo'];

/** The aggregation each TRL loss type performs (header of agg.ts). */
export const policyLossAgg: Readonly<Record<PolicyLossType, AggMode>> = {
  grpo: 'seq-mean-token-mean',
  bnpo: 'token-mean',
  dr_grpo: 'seq-mean-token-sum-norm',
  dapo: 'global-token-mean',
};

/**
 * Reduce per-token values to a scalar under a mask.
 * @param x (B, T) per-token values
 * @param mask (B, T) 0/1, same dtype as x
 * @param agg the reduction; 'token-mean' by default
 * @param fn the caller's name, for error messages
 * @param tokenCount for 'global-token-mean' only: a scalar of x's dtype, the update batch's active tokens
 */
export function aggregate(
  x: Tensor,
  mask: Tensor,
  agg: AggMode = 'token-mean',
  fn = 'aggregate',
  tokenCount?: Tensor,
): Tensor {
  const mode = oneOf(fn, 'agg', agg, aggModes);
  sameTensors(fn, { x, mask });
  if (x.rank === 0) throw new Error(`${fn}: expected per-token values of shape (B, T), got a scalar`);
  const masked = mul(x, mask); // (B, T)
  if (mode === 'token-mean') return div(reduceSum(masked), maximum(reduceSum(mask), 1));
  if (mode === 'global-token-mean') {
    if (tokenCount?.rank !== 0 || tokenCount.dtype !== x.dtype) {
      throw new Error(
        `${fn}: agg 'global-token-mean' (dapo) needs tokenCount, a scalar ${x.dtype} tensor holding the number ` +
          'of active tokens in the whole update batch',
      );
    }
    return div(reduceSum(masked), maximum(stopGradient(tokenCount), 1));
  }
  const tokenAxis = x.rank - 1;
  const seqSum = reduceSum(masked, tokenAxis); // (B,)
  if (mode === 'seq-mean-token-mean') {
    return reduceMean(div(seqSum, maximum(reduceSum(mask, tokenAxis), 1)));
  }
  const seqMean = reduceMean(seqSum);
  return mode === 'seq-mean-token-sum' ? seqMean : div(seqMean, x.shape[tokenAxis]!);
}

/** Token-mean of x under mask: the reduction used for every metric (clipFrac, approxKl, entropy). */
export function maskedMean(x: Tensor, mask: Tensor): Tensor {
  return div(reduceSum(mul(x, mask)), maximum(reduceSum(mask), 1));
}
