// @rlhfkit/core: policy-gradient math for RLHF. This file is the package's whole public API.
// Host side (plain arrays in, Float64Array out) runs between rollout and update; in-graph functions take
// engine tensors and are differentiable. Conventions: rlhf-conventions.md (shared/reference).

// ---- host side ----
export { type GroupNormConfig, groupNormAdvantages, rlooAdvantages } from './advantages.js';
// ---- in-graph ----
export {
  type AggMode,
  aggModes,
  aggregate,
  maskedMean,
  type PolicyLossType,
  policyLossAgg,
  policyLossTypes,
} from './agg.js';
export { type KlKind, type KlOptions, klEstimate, klKinds, klPenalty } from './kl.js';
export {
  type AdaptiveKLConfig,
  AdaptiveKLController,
  adaptiveKLDefaults,
  FixedKLController,
  type KLController,
  type KLControllerState,
  klControllerFromState,
} from './kl-controller.js';
export { entropyFromLogits, type LogitsOptions, logProbsFromLogits } from './logprobs.js';
export {
  type PpoClipLossArgs,
  ppoClipLoss,
  type ReinforceLossArgs,
  reinforceLoss,
  type ValueLossArgs,
  valueLoss,
} from './losses.js';
export {
  type DpoLossArgs,
  type DpoLossResult,
  type DpoLossType,
  dpoLoss,
  dpoLossTypes,
  type KtoLossArgs,
  type KtoLossResult,
  ktoLoss,
} from './preference.js';
export {
  type OverlongConfig,
  overlongPenalty,
  type ReinforcePlusPlusArgs,
  reinforcePlusPlusAdvantages,
  zeroStdGroups,
} from './reinforce-pp.js';
export { type GaeConfig, gae, gaeDefaults, rewardsToGo } from './returns.js';
export { type TokenRewardsArgs, tokenRewards } from './rewards.js';
export { type WhitenConfig, whiten } from './whiten.js';
