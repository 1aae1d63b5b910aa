/**
 * @rlhfkit/tui: the `rlhf` command. The bin is dist/cli.js; this entry is for plugging job runners in and for
 * running the CLI from code.
 */
export { createEventBus, type EventSource } from './event-bus.js';
export { exitCodes, type Io, processIo, UsageError } from './io.js';
export {
  type CommandSpec,
  type JobRunner,
  type JobSpec,
  jobKinds,
  jobSpecs,
  runOptions,
} from './jobs/specs.js';
export { main } from './main.js';
export { type Action, initialState, type JobState, reducer } from './reducer.js';
export { loadRun, type RunData } from './runs.js';
export { jobs } from './worker-runner.js';
