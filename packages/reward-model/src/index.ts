// @rlhfkit/reward-model: Bradley-Terry preference reward models. This file is the package's whole public API.

export {
  type RewardTrainConfig,
  type RewardTrainConfigInput,
  resolveRewardTrainConfig,
  rewardTrainConfigSchema,
  rewardTrainDefaults,
} from './config.js';
export {
  type LoadPreferencesOptions,
  loadPreferences,
  loadPreferencesDefaults,
  type PreferenceInput,
  type PreferenceRecord,
  preferenceRecords,
  readPreferences,
  type SplitOptions,
  splitPreferences,
  writePreferences,
} from './data.js';
export { type BradleyTerryArgs, bradleyTerryLoss } from './loss.js';
export {
  encodeItem,
  initScoreHead,
  RewardModel,
  type ScoreItem,
  type ScoreRange,
  scoresAt,
} from './model.js';
export {
  evaluateRewardModel,
  preferenceMetrics,
  type RewardEval,
  type RewardTrainOptions,
  trainRewardModel,
} from './train.js';
