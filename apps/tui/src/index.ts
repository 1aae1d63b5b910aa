/**
 * @rlhfkit/tui: the `rlhf` command. The bin is dist/cli.js; this entry is for plugging job runners in and for
 * running the CLI from code.
 */
export { createEventBus, type EventSource } from './event-bus.js';
export { exitCodes, type Io, processIo, UsageError } from './io.js';
export {
  demoOptions,
  type JobRunner,
  jobKinds,
  jobs,
  ppoOptions,
  pretrainOptions,
  trainRmOptions,
} from './jobs.js';
export { main } from './main.js';
export { type Action, initialState, type JobState, reducer } from './reducer.js';
export { loadRun, type RunData } from './runs.js';
