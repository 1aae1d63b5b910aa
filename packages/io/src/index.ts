// @rlhfkit/io: run directories (atomic writes, run.json, metrics and samples JSON lines, the run lock),
// datasets (TRL's formats from JSON lines, JSON and Parquet, with file/row/column errors), reward functions from
// code (reward-fn.ts: the one loader of FILE.mjs[:export]) and the job protocol. Every package reads and writes through it.
// This file is the package's whole public API.
export { fsyncDir, writeDirAtomic, writeFileAtomic, writeFileAtomicSync } from './atomic.js';
export { DataError, type DataErrorLocation, ioError, lineError } from './data-error.js';
export {
  type Dataset,
  type DatasetFormat,
  type Example,
  type Message,
  readDataset,
  type Text,
} from './datasets.js';
export {
  type EventSink,
  type JobControl,
  type JobEvent,
  type JobKind,
  JobSwitch,
  type RunStatus,
  type Sample,
} from './job.js';
export {
  type JsonlLine,
  type JsonlRecord,
  maxLineBytesDefault,
  parseJsonLine,
  readJsonLines,
  readJsonl,
  readJsonlLines,
} from './jsonl.js';
export { type PromptRow, readPromptRows, readPrompts } from './prompts.js';
export {
  callRewardFn,
  type LoadedRewardFn,
  loadRewardFn,
  parseRewardFnSpec,
  type RewardFn,
  RewardFnError,
  type RewardFnRow,
  type RewardFnSample,
} from './reward-fn.js';
export { type ReadRowsOptions, type Row, type RowFormat, type Rows, readRows, rowWhere } from './rows.js';
export {
  hasCheckpointIn,
  isRunDir,
  type OpenRunOptions,
  Run,
  RunDirError,
  type RunFiles,
  type RunInfo,
  RunLog,
  readRunFiles,
  readRunInfo,
} from './run-dir.js';
