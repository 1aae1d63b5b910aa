/**
 * The Bradley-Terry preference loss (rlhf-conventions.md "Bradley-Terry"):
 * L = mean −log σ(r_c − r_r − margin) + λ·mean((r_c + r_r)²), with accuracy, margin and mean_reward metrics.
 */
import { add, cast, greater, logSigmoid, mul, neg, reduceMean, sub, type Tensor } from '@rlhfkit/engine';

export interface BradleyTerryArgs {
  /** Scores of the chosen texts (B). */
  chosen: Tensor;
  /** Scores of the rejected texts (B). */
  rejected: Tensor;
  /** Required score gap per pair (B); omitted: 0. */
  margin?: Tensor;
  /** Centering coefficient λ: pulls scores towards 0 so they stay comparable across runs (0: off). */
  centering?: number;
}

export function bradleyTerryLoss(a: BradleyTerryArgs): {
  loss: Tensor;
  accuracy: Tensor;
  margin: Tensor;
  meanReward: Tensor;
} {
  const diff = sub(a.chosen, a.rejected); // (B)
  let loss = neg(reduceMean(logSigmoid(a.margin ? sub(diff, a.margin) : diff)));
  if (a.centering && a.centering > 0)
    loss = add(loss, mul(a.centering, reduceMean(mul(add(a.chosen, a.rejected), add(a.chosen, a.rejected)))));
  return {
    loss,
    accuracy: reduceMean(cast(greater(a.chosen, a.rejected), diff.dtype)),
    margin: reduceMean(diff),
    meanReward: mul(0.5, add(reduceMean(a.chosen), reduceMean(a.rejected))),
  };
}
