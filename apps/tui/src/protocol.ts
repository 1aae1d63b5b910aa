/**
 * The job protocol (events, controls, run directory files), from packages/model/src/job.ts. Everything in the
 * TUI imports it from here, so a change of where it lives is one line.
 */
export {
  type EventSink,
  type JobControl,
  type JobEvent,
  type JobKind,
  JobSwitch,
  RunLog,
  type RunStatus,
  readJsonLines,
  type Sample,
} from '@rlhfkit/model';
