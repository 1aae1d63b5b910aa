// Host-side pieces of the 2025 RL recipes, on plain arrays, as their reference implementations define them:
//   REINFORCE++ (Hu 2025; OpenRLHF advantage estimator 'reinforce'): per-token rewards -beta KL_t with the score on
//     the last token, rewards-to-go, then the advantages normalised over every valid token of the batch:
//     (A - mean) * rsqrt(max(var, 1e-8)) with the biased (1/N) variance (OpenRLHF experience_maker.py,
//     compute_advantages_and_returns). REINFORCE++-baseline ('reinforce_baseline') first subtracts each prompt's
//     mean score from its samples' scores; the KL stays per token, outside the baseline.
//   DAPO's soft overlong punishment (Yu et al. 2025; OpenRLHF length_penalty.py, verl's overlong_buffer): a
//     response of L tokens with cap L_max and buffer L_c gets -factor * min(L - (L_max - L_c), L_c) / L_c when
//     L > L_max - L_c, else 0.
//   Group spread for dynamic sampling (DAPO): a group whose rewards all agree has std 0 and zero GRPO advantage;
//     TRL's frac_reward_zero_std counts such groups with torch.isclose(std, 0) (|std| <= 1e-8).
import { groupNormAdvantages } from './advantages.js';
import { inRange, positive, toF64 } from './args.js';
import { type KlKind, klKinds } from './kl.js';
import { rewardsToGo } from './returns.js';
import { tokenRewards } from './rewards.js';

/** Arguments of reinforcePlusPlusAdvantages. Rows hold each response's valid tokens only (no padding). */
export interface ReinforcePlusPlusArgs {
  /** One score per response. */
  scores: ArrayLike<number>;
  /** log pi(a_t) per response, under the rollout policy. */
  logp: readonly ArrayLike<number>[];
  /** log pi_ref(a_t) per response. */
  refLogp: readonly ArrayLike<number>[];
  /** beta of the KL penalty in the reward (OpenRLHF's init_kl_coef). */
  klCoef: number;
  /** KL estimator; k1 by default (OpenRLHF's default). */
  kind?: KlKind;
  /** Clamp each KL estimate to [-clamp, clamp]; OpenRLHF always clamps at 10, rlhfkit only when asked. */
  klClamp?: number;
  /** Discount; 1 by default (OpenRLHF forces 1 for the baseline variant). */
  gamma?: number;
  /** Samples per prompt (consecutive): subtracts each prompt's mean score first (REINFORCE++-baseline). */
  baselineGroupSize?: number;
}

/** REINFORCE++ (and -baseline) advantages, one Float64Array per response (header of reinforce-pp.ts). */
export function reinforcePlusPlusAdvantages(args: ReinforcePlusPlusArgs): Float64Array[] {
  const fn = 'reinforcePlusPlusAdvantages';
  const scores = toF64(fn, 'scores', args.scores);
  if (args.logp.length !== scores.length || args.refLogp.length !== scores.length) {
    throw new Error(
      `${fn}: ${scores.length} scores but ${args.logp.length} logp and ${args.refLogp.length} refLogp rows`,
    );
  }
  if (!klKinds.includes(args.kind ?? 'k1')) throw new Error(`${fn}: unknown kind '${args.kind}'`);
  const shaped =
    args.baselineGroupSize === undefined
      ? scores
      : groupNormAdvantages(scores, args.baselineGroupSize, { scaleByStd: false, eps: 0 });
  const returns = args.logp.map((lp, b) =>
    rewardsToGo(
      tokenRewards({
        score: shaped[b]!,
        logp: lp,
        refLogp: args.refLogp[b]!,
        klCoef: args.klCoef,
        kind: args.kind ?? 'k1',
        ...(args.klClamp === undefined ? {} : { clamp: args.klClamp }),
      }),
      args.gamma ?? 1,
    ),
  );
  let n = 0;
  let sum = 0;
  for (const r of returns) {
    n += r.length;
    for (const v of r) sum += v;
  }
  if (n === 0) throw new Error(`${fn}: no tokens in the batch`);
  const mean = sum / n;
  let ss = 0;
  for (const r of returns) for (const v of r) ss += (v - mean) ** 2;
  const rstd = 1 / Math.sqrt(Math.max(ss / n, 1e-8));
  return returns.map((r) => r.map((v) => (v - mean) * rstd));
}

/** Options of overlongPenalty. */
export interface OverlongConfig {
  /** L_max: the length cap (maxNewTokens). */
  maxLength: number;
  /** L_c: the buffer before the cap where the penalty ramps from 0 to -factor; > 0 and <= maxLength. */
  buffer: number;
  /** The penalty at the cap; 1 by default (DAPO, verl's penalty_factor). */
  factor?: number;
}

/** DAPO's soft overlong penalty per response length (header of reinforce-pp.ts); add it to the scores. */
export function overlongPenalty(lengths: ArrayLike<number>, config: OverlongConfig): Float64Array {
  const fn = 'overlongPenalty';
  const len = toF64(fn, 'lengths', lengths);
  const cap = positive(fn, 'maxLength', config.maxLength);
  const buffer = inRange(fn, 'buffer', config.buffer, 0, cap);
  if (buffer === 0) throw new Error(`${fn}: buffer must be > 0 (leave the penalty off instead)`);
  const factor = inRange(fn, 'factor', config.factor ?? 1, 0, Infinity);
  const start = cap - buffer;
  return len.map((l) => (l > start ? (-factor * Math.min(l - start, buffer)) / buffer : 0));
}

/**
 * Which groups have zero reward spread (every sample of the prompt scored the same, up to TRL's isclose
 * tolerance on the unbiased std): they carry no GRPO signal, and dynamic sampling drops them.
 * @param scores one score per sample, the groupSize samples of each prompt consecutive
 * @returns one boolean per group
 */
export function zeroStdGroups(scores: ArrayLike<number>, groupSize: number, atol = 1e-8): boolean[] {
  const fn = 'zeroStdGroups';
  const s = toF64(fn, 'scores', scores);
  if (!Number.isInteger(groupSize) || groupSize < 2 || s.length % groupSize !== 0) {
    throw new Error(
      `${fn}: groupSize must be an integer >= 2 dividing the ${s.length} scores, got ${groupSize}`,
    );
  }
  const out: boolean[] = [];
  for (let g = 0; g < s.length; g += groupSize) {
    const group = s.subarray(g, g + groupSize);
    const mean = group.reduce((a, v) => a + v, 0) / groupSize;
    const std = Math.sqrt(group.reduce((a, v) => a + (v - mean) ** 2, 0) / (groupSize - 1));
    out.push(std <= atol);
  }
  return out;
}
