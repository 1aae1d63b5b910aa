// @rlhfkit/core: policy-gradient math for RLHF. This file is the package's whole public API.
// Host side (plain arrays in, Float64Array out) runs between rollout and update; in-graph functions take
// engine tensors and are differentiable. Conventions: rlhf-conventions.md (shared/reference).

// ---- host side ----
export { type GroupNormConfig, groupNormAdvantages, rlooAdvantages } from './advantages.js';
// ---- in-graph ----
export { klPenalty } from './kl.js';
