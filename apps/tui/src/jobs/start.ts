/**
 * What every job runner shares: the engine's device and threads, inputs read before anything is written (a
 * user's mistake there leaves no run directory), the run directory opened through io's Run (explicit resume,
 * the lock, run.json's status from the job's own events), and errors that are the user's to fix marked so the
 * CLI prints their message alone and exits 2.
 */
import { configureRuntime, type Device } from '@rlhfkit/engine';
import { type EventSink, type JobKind, JobSwitch, Run } from '@rlhfkit/io';

/** Errors that are the user's to fix: the CLI prints the message only and exits 2. */
const userErrors = new Set([
  'DataError',
  'PPOConfigError',
  'CheckpointError',
  'ConfigError',
  'SafetensorsError',
  'TokenizerError',
  'RunDirError',
  'RewardFnError',
  'DeviceUnavailableError',
  'CudaUnavailableError',
  'WebGpuUnavailableError',
  'UsageError',
]);

export function asUserError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (userErrors.has(e.name) || (e as NodeJS.ErrnoException).code === 'ENOENT') e.name = 'UsageError';
  return e;
}

/** A mistake in the options that only the runner can see (a model without a tokenizer, ...). */
export const usage = (message: string): Error => Object.assign(new Error(message), { name: 'UsageError' });

export interface JobContext {
  out: string;
  sink: EventSink;
  control: JobSwitch;
}

/**
 * Run a job: `prepare` reads and validates every input first, then the run directory is opened and `body`
 * trains; its summary ends in summary.json and run.json records how the job ended.
 */
export function startJob<I>(
  kind: JobKind,
  o: Record<string, unknown>,
  sink: EventSink,
  prepare: () => Promise<I>,
  body: (inputs: I, ctx: JobContext) => Promise<Record<string, unknown>>,
) {
  const control = new JobSwitch();
  const out = o['out'] as string;
  const done = (async () => {
    try {
      configureRuntime({
        device: o['device'] as Device,
        allowCpuFallback: o['allowCpuFallback'] === true,
        ...(typeof o['threads'] === 'number' ? { threads: o['threads'] } : {}),
      });
    } catch (err) {
      throw asUserError(err);
    }
    const inputs = await prepare().catch((err: unknown) => Promise.reject(asUserError(err)));
    let run: Run;
    try {
      run = Run.open(out, { kind, config: o, resume: o['resume'] === true });
    } catch (err) {
      throw asUserError(err);
    }
    const events: EventSink = (e) => {
      if (e.type === 'status' && (e.status === 'paused' || e.status === 'running')) run.status(e.status);
      sink(e);
    };
    try {
      const summary = await body(inputs, { out, sink: events, control });
      const status = control.stopRequested ? 'stopped' : 'done';
      run.finish(status, { summary });
      return { out, status, ...summary };
    } catch (err) {
      run.finish('failed', { error: err instanceof Error ? err.message : String(err) });
      throw asUserError(err);
    }
  })();
  return { control, done };
}
