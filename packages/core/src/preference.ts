// Offline preference losses, in-graph and differentiable: DPO and its relatives on pairs, KTO on unpaired rows.
// Inputs are per-sequence log-probs of the completion (summed over its tokens, or averaged when the trainer's
// averageLogProb option is on), shape (B,), one float dtype. Reference log-probs are data: each loss wraps them in
// stopGradient. The formulas are TRL's (trl/trainer/dpo_trainer.py `_compute_loss`, trl/experimental/cpo for
// SimPO, trl/trainer/kto_trainer.py `kto_loss`), with d = (logp_c - ref_c) - (logp_r - ref_r):
//   sigmoid  -(1 - e) log s(beta d) - e log s(-beta d)       DPO (Rafailov et al. 2023); e > 0 is conservative
//                                                          DPO (cDPO, TRL's sigmoid up to 0.19; 0 by default)
//   robust   (-(1 - e) log s(beta d) + e log s(-beta d)) / (1 - 2e)   rDPO (Chowdhury et al. 2024), e in [0, 0.5)
//   hinge    max(0, 1 - beta d)                             SLiC (Zhao et al. 2023)
//   ipo      (d' - 1 / (2 beta))^2                          IPO (Azar et al. 2023); d' divides each log-ratio by
//                                                          its completion length when lengths are given (TRL)
//   simpo    -(1 - e) log s(beta d0 - gamma) - e log s(-(beta d0 - gamma)), d0 = logp_c - logp_r, no reference
//                                                          SimPO (Meng et al. 2024) on length-averaged log-probs
// Rewards (TRL's rewards/chosen, rewards/rejected) are beta (logp - ref) per row, or beta logp for SimPO.
// KTO (Ethayarajh et al. 2024): with r = logp - ref and z = max(0, mean(logp_kl - ref_kl)) (stopGradient), a
// desirable row loses w_D (1 - s(beta (r - z))) and an undesirable one w_U (1 - s(beta (z - r))); the loss is the
// mean over all rows. z is estimated on mismatched (prompt, completion) pairs, as TRL builds them.
import {
  add,
  cast,
  div,
  greater,
  logSigmoid,
  maximum,
  mul,
  neg,
  reduceMean,
  sigmoid,
  stopGradient,
  sub,
  type Tensor,
  where,
  zeros,
} from '@rlhfkit/engine';
import { inRange, oneOf, positive, sameTensors } from './args.js';

/** The pairwise preference losses dpoLoss implements; see preference.ts. */
export type DpoLossType = 'sigmoid' | 'robust' | 'hinge' | 'ipo' | 'simpo';

export const dpoLossTypes: readonly DpoLossType[] = ['sigmoid', 'robust', 'hinge', 'ipo', 'simpo'];

/** Arguments of dpoLoss. Every tensor is (B,), one float dtype. */
export interface DpoLossArgs {
  /** log pi(chosen | prompt) under the policy being trained (summed, or averaged for simpo). */
  chosenLogps: Tensor;
  /** log pi(rejected | prompt) under the policy being trained. */
  rejectedLogps: Tensor;
  /** log pi_ref(chosen | prompt) under the frozen reference; required unless lossType is simpo. */
  refChosenLogps?: Tensor;
  /** log pi_ref(rejected | prompt); required unless lossType is simpo. */
  refRejectedLogps?: Tensor;
  /** beta: the strength of the implicit KL regulariser (IPO's tau). TRL's default 0.1. */
  beta?: number;
  /** Which loss; 'sigmoid' (DPO) by default. */
  lossType?: DpoLossType;
  /** Label-flip probability e for sigmoid (cDPO), robust and simpo; 0 by default, in [0, 0.5). */
  labelSmoothing?: number;
  /** SimPO's target reward margin gamma (TRL's simpo_gamma, 0.5 by default); used by simpo only. */
  gamma?: number;
  /** (B,) completion lengths in tokens; ipo divides each log-ratio by them (TRL). Omit for averaged log-probs. */
  chosenLengths?: Tensor;
  rejectedLengths?: Tensor;
}

/** What dpoLoss returns; per-row values are (B,), the rest scalars. Only loss and losses carry gradients. */
export type DpoLossResult = {
  /** Mean of losses. */
  loss: Tensor;
  /** Per-pair losses. */
  losses: Tensor;
  /** rewards/chosen per row: beta (logp_c - ref_c), or beta logp_c for simpo. */
  chosenRewards: Tensor;
  /** rewards/rejected per row. */
  rejectedRewards: Tensor;
  /** rewards/accuracies: share of rows where the chosen reward is larger. */
  accuracy: Tensor;
  /** rewards/margins: mean of chosen minus rejected rewards. */
  margin: Tensor;
};

/** DPO-family loss on per-sequence log-probs (header of preference.ts). */
export function dpoLoss(args: DpoLossArgs): DpoLossResult {
  const fn = 'dpoLoss';
  const lossType = oneOf(fn, 'lossType', args.lossType ?? 'sigmoid', dpoLossTypes);
  const beta = positive(fn, 'beta', args.beta ?? 0.1);
  const eps = inRange(fn, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 0.5);
  if (eps >= 0.5) throw new Error(`${fn}: labelSmoothing must be < 0.5 (a label flipped half the time)`);
  if (eps > 0 && (lossType === 'hinge' || lossType === 'ipo')) {
    throw new Error(
      `${fn}: labelSmoothing applies to sigmoid, robust and simpo, not ${lossType}; set it to 0`,
    );
  }
  const { chosenLogps: c, rejectedLogps: r } = args;
  let chosenScore: Tensor; // (B,) log-ratio of the chosen completion (the log-prob itself for simpo)
  let rejectedScore: Tensor; // (B,)
  if (lossType === 'simpo') {
    sameTensors(fn, { chosenLogps: c, rejectedLogps: r });
    [chosenScore, rejectedScore] = [c, r];
  } else {
    const { refChosenLogps: rc, refRejectedLogps: rr } = args;
    if (!rc || !rr) {
      throw new Error(
        `${fn}: ${lossType} needs refChosenLogps and refRejectedLogps (only simpo is reference-free)`,
      );
    }
    sameTensors(fn, { chosenLogps: c, rejectedLogps: r, refChosenLogps: rc, refRejectedLogps: rr });
    chosenScore = sub(c, stopGradient(rc));
    rejectedScore = sub(r, stopGradient(rr));
  }
  const d = sub(chosenScore, rejectedScore); // (B,)
  const smoothed = (u: Tensor) =>
    eps === 0 ? neg(logSigmoid(u)) : sub(mul(-(1 - eps), logSigmoid(u)), mul(eps, logSigmoid(neg(u))));

  let losses: Tensor; // (B,)
  if (lossType === 'sigmoid') losses = smoothed(mul(beta, d));
  else if (lossType === 'simpo')
    losses = smoothed(sub(mul(beta, d), inRange(fn, 'gamma', args.gamma ?? 0.5, 0, Infinity)));
  else if (lossType === 'robust') {
    const u = mul(beta, d);
    losses = div(add(mul(-(1 - eps), logSigmoid(u)), mul(eps, logSigmoid(neg(u)))), 1 - 2 * eps);
  } else if (lossType === 'hinge') losses = maximum(sub(1, mul(beta, d)), 0);
  else {
    let dIpo = d;
    if (args.chosenLengths || args.rejectedLengths) {
      const { chosenLengths: lc, rejectedLengths: lr } = args;
      if (!lc || !lr) throw new Error(`${fn}: give both chosenLengths and rejectedLengths, or neither`);
      sameTensors(fn, { chosenLogps: c, chosenLengths: lc, rejectedLengths: lr });
      dIpo = sub(div(chosenScore, maximum(lc, 1)), div(rejectedScore, maximum(lr, 1)));
    }
    const e = sub(dIpo, 1 / (2 * beta));
    losses = mul(e, e);
  }
  const chosenRewards = stopGradient(mul(beta, chosenScore));
  const rejectedRewards = stopGradient(mul(beta, rejectedScore));
  return {
    loss: reduceMean(losses),
    losses,
    chosenRewards,
    rejectedRewards,
    accuracy: reduceMean(cast(greater(chosenRewards, rejectedRewards), c.dtype)),
    margin: reduceMean(sub(chosenRewards, rejectedRewards)),
  };
}

/** Arguments of ktoLoss. Every tensor is (B,), one float dtype. */
export interface KtoLossArgs {
  /** log pi(completion | prompt) under the policy being trained. */
  logps: Tensor;
  /** log pi_ref(completion | prompt). */
  refLogps: Tensor;
  /** 1 for a desirable completion, 0 for an undesirable one. */
  labels: Tensor;
  /** Log-probs of mismatched pairs (prompt i with another row's completion), for the KL reference point. */
  klLogps?: Tensor;
  refKlLogps?: Tensor;
  /** beta; TRL's default 0.1. */
  beta?: number;
  /** w_D and w_U: TRL's desirable_weight and undesirable_weight, 1 by default. */
  desirableWeight?: number;
  undesirableWeight?: number;
}

/** What ktoLoss returns. */
export type KtoLossResult = {
  /** Mean of losses over all rows. */
  loss: Tensor;
  /** (B,) weighted per-row losses. */
  losses: Tensor;
  /** (B,) beta (logp - ref): rewards/chosen on desirable rows, rewards/rejected on the others. */
  rewards: Tensor;
  /** The KL reference point z (scalar, no gradient); 0 when klLogps are not given. */
  kl: Tensor;
};

/** KTO on unpaired rows (header of preference.ts). */
export function ktoLoss(args: KtoLossArgs): KtoLossResult {
  const fn = 'ktoLoss';
  const beta = positive(fn, 'beta', args.beta ?? 0.1);
  const wD = inRange(fn, 'desirableWeight', args.desirableWeight ?? 1, 0, Infinity);
  const wU = inRange(fn, 'undesirableWeight', args.undesirableWeight ?? 1, 0, Infinity);
  const { logps, refLogps, labels } = args;
  sameTensors(fn, { logps, refLogps, labels });
  let kl: Tensor = zeros([], logps.dtype);
  if (args.klLogps || args.refKlLogps) {
    const { klLogps, refKlLogps } = args;
    if (!klLogps || !refKlLogps) throw new Error(`${fn}: give both klLogps and refKlLogps, or neither`);
    sameTensors(fn, { klLogps, refKlLogps });
    kl = maximum(reduceMean(sub(klLogps, refKlLogps)), 0);
  }
  kl = stopGradient(kl);
  const ratio = sub(logps, stopGradient(refLogps)); // (B,)
  const y = stopGradient(labels);
  const desirable = mul(wD, sub(1, sigmoid(mul(beta, sub(ratio, kl))))); // (B,)
  const undesirable = mul(wU, sub(1, sigmoid(mul(beta, sub(kl, ratio))))); // (B,)
  const losses = where(greater(y, 0.5), desirable, undesirable);
  return { loss: reduceMean(losses), losses, rewards: stopGradient(mul(beta, ratio)), kl };
}
