// @rlhfkit/serve: a reward server speaking OpenRLHF's remote reward protocol, scoring with a reward model or a
// TypeScript reward function (loaded by @rlhfkit/io's loadRewardFn). This file is the package's whole public API.

export { rewardServerDefaults, type ServeConfig, serveConfigSchema } from './config.js';
export {
  ProtocolError,
  parseRewardRequest,
  type RewardItem,
  rewardResponseJson,
  splitQuery,
} from './protocol.js';
export { type RewardScorer, rewardFnScorer, rewardModelScorer } from './scorers.js';
export { loadScorer, ServeError, type ServeRewardOptions, serveReward } from './serve.js';
export { createRewardServer, type RewardServer, type RewardServerOptions } from './server.js';
