// @rlhfkit/dpo: offline preference optimisation of a token policy (DPO, robust DPO, hinge, IPO, SimPO, KTO).
// This file is the package's whole public API.
export {
  type DPOConfig,
  DPOConfigError,
  type DPOConfigInput,
  type DPOLossType,
  dpoConfig,
  dpoConfigSchema,
  dpoDefaults,
  dpoLossTypeNames,
} from './config.js';
export { type UnpairedRecord, unpair } from './data.js';
export { type DPOJob, type DPOResult, type PreferenceRows, runDPO } from './dpo.js';
