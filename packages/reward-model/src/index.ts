// @rlhfkit/reward-model: Bradley-Terry preference reward models. This file is the package's whole public API.
export {
  type LoadPreferencesOptions,
  loadPreferences,
  loadPreferencesDefaults,
  type PreferenceInput,
  type PreferenceRecord,
  type SplitOptions,
  splitPreferences,
  writePreferences,
} from './data.js';
export { DataError, type DataErrorLocation } from './data-errors.js';
