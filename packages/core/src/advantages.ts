// Critic-free, group-relative advantages from one scalar score per sample, host side. Several samples are
// drawn per prompt; the others in the group serve as the baseline (rlhf-conventions.md, "Formulas"):
//   RLOO (Ahmadian et al. 2024): A_i = R_i - (sum_j R_j - R_i) / (k - 1), the leave-one-out mean.
//   GRPO (Shao et al. 2024):     A_i = (R_i - mean_g) / (std_g + eps), unbiased std, eps 1e-4 (TRL).
//   Dr. GRPO (Liu et al. 2025):  A_i = R_i - mean_g (scaleByStd: false).
// Scores come prompt by prompt: the groupSize samples of one prompt are consecutive.
import { toF64 } from './args.js';

/** Options of groupNormAdvantages. */
export interface GroupNormConfig {
  /** Added to the group's std before dividing; 1e-4 (TRL's value, rlhf-conventions.md "GRPO eps"). */
  eps?: number;
  /** Divide by the group's std (GRPO, true by default); false gives Dr. GRPO's mean-centred scores. */
  scaleByStd?: boolean;
}

/** Validate groupSize against the batch and return the scores as a Float64Array. */
function groups(fn: string, scores: ArrayLike<number>, groupSize: number): Float64Array {
  const s = toF64(fn, 'scores', scores);
  if (!Number.isInteger(groupSize) || groupSize < 2) {
    throw new Error(
      `${fn}: groupSize must be an integer >= 2 (a group of one has no baseline), got ${groupSize}`,
    );
  }
  if (s.length === 0) throw new Error(`${fn}: scores is empty`);
  if (s.length % groupSize !== 0) {
    throw new Error(
      `${fn}: groupSize ${groupSize} does not divide the batch of ${s.length} scores; ` +
        `pass groupSize samples for every prompt, consecutively`,
    );
  }
  return s;
}

/**
 * REINFORCE leave-one-out advantages: each score minus the mean of the other scores of its prompt.
 * @param scores one scalar reward per sample, the samples of each prompt consecutive
 * @param groupSize samples per prompt, k >= 2
 */
export function rlooAdvantages(scores: ArrayLike<number>, groupSize: number): Float64Array {
  const s = groups('rlooAdvantages', scores, groupSize);
  const out = new Float64Array(s.length);
  for (let g = 0; g < s.length; g += groupSize) {
    let sum = 0;
    for (let i = g; i < g + groupSize; i++) sum += s[i]!;
    for (let i = g; i < g + groupSize; i++) out[i] = s[i]! - (sum - s[i]!) / (groupSize - 1);
  }
  return out;
}

/**
 * GRPO advantages: each score standardised within its prompt's group (unbiased std), or only centred when
 * scaleByStd is false (Dr. GRPO).
 * @param scores one scalar reward per sample, the samples of each prompt consecutive
 * @param groupSize samples per prompt, >= 2
 */
export function groupNormAdvantages(
  scores: ArrayLike<number>,
  groupSize: number,
  config: GroupNormConfig = {},
): Float64Array {
  const fn = 'groupNormAdvantages';
  const s = groups(fn, scores, groupSize);
  const scale = config.scaleByStd ?? true;
  const eps = config.eps ?? 1e-4;
  // A group whose samples all scored the same has std 0; eps keeps its advantages at 0 instead of NaN.
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0 || (scale && eps === 0)) {
    throw new Error(`${fn}: eps must be a finite number > 0 (>= 0 when scaleByStd is false), got ${eps}`);
  }
  const out = new Float64Array(s.length);
  for (let g = 0; g < s.length; g += groupSize) {
    let sum = 0;
    for (let i = g; i < g + groupSize; i++) sum += s[i]!;
    const mean = sum / groupSize;
    let ss = 0;
    for (let i = g; i < g + groupSize; i++) ss += (s[i]! - mean) ** 2;
    const std = Math.sqrt(ss / (groupSize - 1));
    for (let i = g; i < g + groupSize; i++) out[i] = scale ? (s[i]! - mean) / (std + eps) : s[i]! - mean;
  }
  return out;
}
