/**
 * The job protocol shared by every long-running job (pretrain, train-rm, ppo, demo) and the TUI: the events a
 * job emits, the controls it obeys, and the run directory files it writes.
 *
 * Run directory contract (what `rlhf eval` and `rlhf compare` read, also while a run is going or after a kill):
 * - run.json: { kind, status, startedAt, updatedAt, config } (written atomically on every status change)
 * - metrics.jsonl: one JSON object per line, { step, time, ...metrics }, appended as training goes
 * - eval.jsonl: the same for held-out evaluations (keys carry the eval_ prefix)
 * - samples.jsonl: { step, prompt, completion, score } per line
 * - checkpoints/: the latest checkpoint(s); summary.json when the job finishes
 * A composite job (demo) has one subdirectory per stage, each a run directory, and its own summary.json.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type JobKind = 'demo' | 'pretrain' | 'train-rm' | 'ppo';
export type RunStatus = 'running' | 'paused' | 'done' | 'stopped' | 'failed';

export interface Sample {
  prompt: string;
  completion: string;
  score: number;
}

export type JobEvent =
  /** A stage began (index counts from 0). */
  | { type: 'stage'; stage: string; index: number; total: number }
  /** Progress within a stage; total is the planned number of steps. */
  | { type: 'progress'; stage: string; step: number; total: number }
  /** Metrics for one step, named as in rlhf-conventions.md. */
  | { type: 'metrics'; stage: string; step: number; metrics: Record<string, number> }
  | { type: 'samples'; stage: string; step: number; samples: Sample[] }
  | { type: 'checkpoint'; stage: string; step: number; path: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'status'; status: RunStatus }
  | { type: 'done'; summary: Record<string, unknown> }
  | { type: 'error'; message: string };

/** What a running job obeys. Implementations act between steps. */
export interface JobControl {
  pause(): void;
  resume(): void;
  /** Write a checkpoint after the current step. */
  saveNow(): void;
  /** Checkpoint, then stop cleanly. */
  stop(): void;
}

export type EventSink = (e: JobEvent) => void;

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

  writeJson(file: string, value: unknown): void {
    const path = join(this.dir, file);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    // rename is atomic on one filesystem: readers see the old file or the new one, never half of one.
    renameSync(tmp, path);
  }
}

/** Read a JSON lines file, skipping a torn last line (a run killed mid-write). */
export function readJsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // only a final partial line can be torn; skip it
    }
  }
  return out;
}

/** A JobControl that a training loop polls between steps. */
export class JobSwitch implements JobControl {
  paused = false;
  saveRequested = false;
  stopRequested = false;
  private wake: (() => void) | null = null;

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.wake?.();
  }
  saveNow(): void {
    this.saveRequested = true;
  }
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /** Wait while paused (returns at once otherwise, or when stop is asked). */
  async gate(onPause?: (paused: boolean) => void): Promise<void> {
    if (!this.paused || this.stopRequested) return;
    onPause?.(true);
    while (this.paused && !this.stopRequested) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    onPause?.(false);
  }

  /** True once, after saveNow() was called. */
  takeSave(): boolean {
    const s = this.saveRequested;
    this.saveRequested = false;
    return s;
  }
}
