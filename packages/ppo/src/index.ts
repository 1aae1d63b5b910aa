// @rlhfkit/ppo: RL fine-tuning of a token policy against a scorer (PPO, REINFORCE, RLOO, GRPO and its variants,
// REINFORCE++).
// This file is the package's whole public API.
export { type AdvantageInputs, type Advantages, computeAdvantages, shapeScores } from './advantages.js';
export {
  type Algorithm,
  algorithms,
  type ConfigIssue,
  type PPOConfig,
  PPOConfigError,
  type PPOConfigInput,
  ppoConfig,
  ppoConfigIssues,
  ppoConfigSchema,
  ppoDefaults,
  resolvePpoConfig,
  rowsPerIteration,
} from './config.js';
export {
  type HackingFlag,
  type HackingThresholds,
  hackingDefaults,
  hackingFlags,
} from './hacking.js';
export { type PPOJob, type PPOResult, runPPO } from './ppo.js';
export { layoutRollout, type RolloutLayout, rolloutStats } from './rollout.js';
export {
  type RewardFn,
  type RewardPart,
  type RewardRow,
  rewardModelScorer,
  ruleScorer,
  type Scorer,
  scoreRewards,
} from './scorer.js';
