/**
 * The job protocol shared by every long-running job (pretrain, sft, train-rm, ppo, demo) and the TUI: the
 * events a job emits and the controls it obeys. What a job writes to its run directory is run-dir.ts's.
 */

export type JobKind = 'demo' | 'pretrain' | 'sft' | 'train-rm' | 'ppo';
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
