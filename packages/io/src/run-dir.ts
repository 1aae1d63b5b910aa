/**
 * Run directories: what a job writes and what `rlhf eval` and `rlhf compare` read, also while a run is going
 * or after a kill. This file is their only writer, and their reader.
 * - run.json: { kind, status, startedAt, updatedAt, config, error? }, rewritten atomically on every change
 * - metrics.jsonl: { step, time, ...metrics } per line, appended as training goes
 * - eval.jsonl: the same for held-out evaluations (keys carry the eval_ prefix)
 * - samples.jsonl: { step, prompt, completion, score, time } per line
 * - checkpoint/: the latest checkpoint (the job's own); summary.json when the job is done
 * - run.lock: { pid, host, kind, startedAt } while a job writes the directory
 * A composite job (demo) has one subdirectory per stage, each a run directory, and its own summary.json.
 */
import { appendFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tempSiblingPath, writeFileAtomicSync } from './atomic.js';
import type { RunStatus } from './job.js';
import { readJsonLines } from './jsonl.js';

/** Appends a run's JSON lines files. Lines are written whole, so a killed run leaves readable files. */
export class RunLog {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  append(file: 'metrics.jsonl' | 'eval.jsonl' | 'samples.jsonl', record: Record<string, unknown>): void {
    appendFileSync(
      join(this.dir, file),
      `${JSON.stringify({ ...record, time: new Date().toISOString() })}\n`,
    );
  }

  /** Write a JSON file atomically (readers see the old file or the new one, never half of one). */
  writeJson(file: string, value: unknown): void {
    writeFileAtomicSync(join(this.dir, file), `${JSON.stringify(value, null, 2)}\n`);
  }
}

/** A run directory that cannot be used as asked (locked, or resumed or not resumed by mistake). */
export class RunDirError extends Error {
  override name = 'RunDirError';
}

export interface RunInfo {
  kind: string;
  status: RunStatus;
  startedAt: string;
  updatedAt: string;
  config: unknown;
  error?: string;
}

interface LockInfo {
  pid: number;
  host: string;
  kind: string;
  startedAt: string;
}

export interface OpenRunOptions {
  kind: string;
  /** Recorded in run.json. */
  config: unknown;
  /** Continue the run in `dir`; without it, a directory that holds a run is refused. */
  resume: boolean;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** What a run directory holds, read leniently: a missing file (or one caught mid-write) is absent. */
export interface RunFiles {
  info?: Partial<RunInfo>;
  summary?: Record<string, unknown>;
  metrics: Record<string, unknown>[];
  evals: Record<string, unknown>[];
  samples: Record<string, unknown>[];
}

const object = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** run.json alone, when there is one. */
export const readRunInfo = (dir: string): Partial<RunInfo> | undefined =>
  object(readJson(join(dir, 'run.json'))) as Partial<RunInfo> | undefined;

/** Read a run directory, also while its job runs or after a kill (a torn last JSON line is skipped). */
export function readRunFiles(dir: string): RunFiles {
  const info = readRunInfo(dir);
  const summary = object(readJson(join(dir, 'summary.json')));
  return {
    ...(info ? { info } : {}),
    ...(summary ? { summary } : {}),
    metrics: readJsonLines(join(dir, 'metrics.jsonl')),
    evals: readJsonLines(join(dir, 'eval.jsonl')),
    samples: readJsonLines(join(dir, 'samples.jsonl')),
  };
}

/** Whether `dir` looks like a run directory (any of run.json, metrics.jsonl, eval.jsonl, summary.json). */
export const isRunDir = (dir: string): boolean =>
  ['run.json', 'metrics.jsonl', 'eval.jsonl', 'summary.json'].some((f) => existsSync(join(dir, f)));

/** Whether `dir` or one of its stage subdirectories holds a training checkpoint. */
export function hasCheckpointIn(dir: string): boolean {
  if (existsSync(join(dir, 'checkpoint', 'state.json'))) return true;
  try {
    return readdirSync(dir, { withFileTypes: true }).some(
      (d) => d.isDirectory() && existsSync(join(dir, d.name, 'checkpoint', 'state.json')),
    );
  } catch {
    return false;
  }
}

function alive(lock: LockInfo): boolean {
  if (lock.host !== hostname()) return true; // another machine's process: cannot tell, so assume it runs
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Create run.lock, or take it over from a process that no longer exists. */
function acquireLock(dir: string, kind: string): string {
  const path = join(dir, 'run.lock');
  const mine: LockInfo = { pid: process.pid, host: hostname(), kind, startedAt: new Date().toISOString() };
  const tmp = tempSiblingPath(path);
  writeFileAtomicSync(tmp, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path); // atomic: creates run.lock whole, or fails if it exists
        return path;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readJson<LockInfo>(path);
      if (holder && alive(holder)) {
        throw new RunDirError(
          `${dir} is in use by another job (rlhf ${holder.kind}, pid ${holder.pid} on ${holder.host}, ` +
            `since ${holder.startedAt}); wait for it to end or stop it, or give another --out`,
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
    throw new RunDirError(`${dir}: cannot take run.lock; remove ${path} if no job is running`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * A job's run directory, open for writing: holds run.lock until finish(), and keeps run.json's status.
 * Resume is explicit: a directory that already holds a run (run.json or a checkpoint) is refused unless
 * `resume`, and `resume` on a directory with nothing to continue is refused too.
 */
export class Run {
  readonly log: RunLog;
  private info: RunInfo;
  private lock: string | null;

  private constructor(
    readonly dir: string,
    info: RunInfo,
    lock: string,
  ) {
    this.log = new RunLog(dir);
    this.info = info;
    this.lock = lock;
  }

  static open(dir: string, o: OpenRunOptions): Run {
    mkdirSync(dir, { recursive: true });
    const lock = acquireLock(dir, o.kind);
    try {
      const previous = readJson<RunInfo>(join(dir, 'run.json'));
      const checkpoint = hasCheckpointIn(dir);
      if (!o.resume && (previous || checkpoint)) {
        const what = previous ? `a ${previous.kind} run (status ${previous.status})` : 'a checkpoint';
        throw new RunDirError(
          `${dir} already holds ${what}. Pass --resume to continue it, or give another --out to start anew`,
        );
      }
      if (o.resume && !previous && !checkpoint) {
        throw new RunDirError(
          `nothing to resume in ${dir}: no run.json or checkpoint; drop --resume to start`,
        );
      }
      if (o.resume && previous && previous.kind !== o.kind) {
        throw new RunDirError(
          `${dir} holds a ${previous.kind} run; rlhf ${o.kind} --resume cannot continue it. Give another --out`,
        );
      }
      const now = new Date().toISOString();
      const info: RunInfo = {
        kind: o.kind,
        status: 'running',
        startedAt: previous?.startedAt ?? now,
        updatedAt: now,
        config: o.config,
      };
      const run = new Run(dir, info, lock);
      run.write();
      return run;
    } catch (err) {
      rmSync(lock, { force: true });
      throw err;
    }
  }

  private write(): void {
    this.log.writeJson('run.json', this.info);
  }

  /** Record a status change (running, paused). */
  status(status: RunStatus): void {
    this.info = { ...this.info, status, updatedAt: new Date().toISOString() };
    this.write();
  }

  /** Record how the job ended; a done job's summary goes to summary.json. Releases the lock. */
  finish(status: 'done' | 'stopped' | 'failed', end: { summary?: unknown; error?: string } = {}): void {
    try {
      if (status === 'done' && end.summary !== undefined) this.log.writeJson('summary.json', end.summary);
      const { error: _, ...rest } = this.info;
      this.info = { ...rest, status, updatedAt: new Date().toISOString() };
      if (end.error !== undefined) this.info.error = end.error;
      this.write();
    } finally {
      this.release();
    }
  }

  /** Remove run.lock (also on finish). */
  release(): void {
    if (this.lock) rmSync(this.lock, { force: true });
    this.lock = null;
  }
}
