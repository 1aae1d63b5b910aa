/**
 * Runs one job to the end: the live Ink view in a terminal, plain or JSON lines otherwise. Returns the exit
 * code: 0 done (or stopped with q), 1 failed, 2 usage error raised by the job, 130 stopped by Ctrl-C/SIGINT.
 */

import type { EventSink, JobControl } from '@rlhfkit/io';
import { createEventBus } from './event-bus.js';
import { exitCodes, type Io, isInteractive, UsageError } from './io.js';
import type { JobRunner } from './jobs/specs.js';
import { jsonPrinter, plainPrinter } from './plain.js';

export interface RunJobArgs {
  title: string;
  runner: JobRunner;
  options: Record<string, unknown>;
  io: Io;
  json: boolean;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function runJob({ title, runner, options, io, json }: RunJobArgs): Promise<number> {
  const bus = createEventBus();
  let sawDone = false;
  let sawError = false;
  // Track the job's own done/error events, so one is synthesised only when the job did not send it.
  const sink: EventSink = (e) => {
    if (e.type === 'done') sawDone = true;
    if (e.type === 'error') sawError = true;
    bus.sink(e);
  };
  // Load Ink before the job starts, so the view is up before the first event (loading takes ~0.5 s).
  const ink = isInteractive(io, json) ? await import('./ink-apps.js') : undefined;
  let started: ReturnType<JobRunner>;
  try {
    started = runner(options, sink);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    io.stderr.write(`rlhf ${title}: failed to start: ${messageOf(err)}\n`);
    return exitCodes.failed;
  }
  const { control, done } = started;
  const finish = done.then(
    (summary) => {
      if (!sawDone) sink({ type: 'done', summary });
      return sawError ? exitCodes.failed : exitCodes.ok;
    },
    (err: unknown) => {
      if (!sawError) sink({ type: 'error', message: messageOf(err) });
      return err instanceof UsageError || (err as { name?: string })?.name === 'UsageError'
        ? exitCodes.usage
        : exitCodes.failed;
    },
  );
  if (!ink) return runPlain(bus.source, control, finish, io, json);
  return ink.runLiveJob(title, bus.source, control, finish, io);
}

async function runPlain(
  source: ReturnType<typeof createEventBus>['source'],
  control: JobControl,
  finish: Promise<number>,
  io: Io,
  json: boolean,
): Promise<number> {
  source.subscribe(json ? jsonPrinter(io.stdout) : plainPrinter(io.stdout, io.stderr));
  let interrupted = false;
  const off = io.onInterrupt?.(() => {
    if (interrupted) {
      io.stderr.write('interrupted twice: exiting without waiting for the checkpoint\n');
      process.exit(exitCodes.interrupted);
    }
    interrupted = true;
    io.stderr.write('stopping: writing a checkpoint (Ctrl-C again to quit at once)\n');
    control.stop();
  });
  const code = await finish;
  off?.();
  return interrupted && code === exitCodes.ok ? exitCodes.interrupted : code;
}
