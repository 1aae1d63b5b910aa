/**
 * Dynamic batching: concurrent requests queue here and are scored together, one scoring run at a time. A run
 * starts when maxBatch items are waiting, when the first waiting request is windowMs old, or, under load, as
 * soon as the previous run ends (its queue filled up while it ran). A run takes whole requests from the head
 * of the queue, up to maxBatch items (a single larger request runs alone), and hands each request exactly its
 * own slice of the scores, in order. A run that throws fails only the requests in that run.
 */

export type RunBatch<T> = (items: readonly T[]) => Promise<number[]>;

export interface BatcherOptions {
  /** Most items in one scoring run. */
  maxBatch: number;
  /** How long the first waiting request waits for company before an under-full run starts (ms). */
  windowMs: number;
}

export interface BatchJob {
  /** The job's scores, one per item in order; rejects with the run's error. */
  result: Promise<number[]>;
  /** Drop the job if it has not started (its caller gave up); a started run's result is then ignored. */
  cancel(): void;
}

interface Pending<T> {
  items: readonly T[];
  cancelled: boolean;
  resolve(scores: number[]): void;
  reject(err: Error): void;
}

export class Batcher<T> {
  private queue: Pending<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private flushing = false;
  /** Scoring runs so far and the items they scored (for the health endpoint and tests). */
  readonly stats = { runs: 0, items: 0, largestRun: 0 };

  constructor(
    private readonly run: RunBatch<T>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(items: readonly T[]): BatchJob {
    let job!: Pending<T>;
    const result = new Promise<number[]>((resolve, reject) => {
      job = { items, cancelled: false, resolve, reject };
    });
    this.queue.push(job);
    this.schedule();
    const cancel = () => {
      job.cancelled = true;
    };
    return { result, cancel };
  }

  /** Items waiting for a run. */
  get queuedItems(): number {
    return this.queue.reduce((n, j) => n + (j.cancelled ? 0 : j.items.length), 0);
  }

  get busy(): boolean {
    return this.running;
  }

  /** From now on start runs without waiting for the window (shutting down: finish what is queued). */
  flushNow(): void {
    this.flushing = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.running) return; // the running batch reschedules when it ends
    this.queue = this.queue.filter((j) => !j.cancelled);
    if (this.queue.length === 0) return;
    if (this.flushing || this.queuedItems >= this.opts.maxBatch) {
      void this.start();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.start(), this.opts.windowMs);
    }
  }

  private async start(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.take();
    if (batch.length === 0) return this.schedule();
    this.running = true;
    const items = batch.flatMap((j) => j.items);
    try {
      const scores = await this.run(items);
      if (scores.length !== items.length)
        throw new Error(`the scorer returned ${scores.length} scores for ${items.length} items`);
      let at = 0;
      for (const j of batch) {
        j.resolve(scores.slice(at, at + j.items.length));
        at += j.items.length;
      }
      this.stats.runs++;
      this.stats.items += items.length;
      this.stats.largestRun = Math.max(this.stats.largestRun, items.length);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const j of batch) j.reject(e);
    } finally {
      this.running = false;
      // What queued during the run has waited at least that long: start the next run now.
      if (this.queue.some((j) => !j.cancelled)) void this.start();
      else this.schedule();
    }
  }

  /** Whole jobs from the head of the queue, up to maxBatch items (at least one job). */
  private take(): Pending<T>[] {
    const out: Pending<T>[] = [];
    let n = 0;
    while (this.queue.length > 0) {
      const j = this.queue[0]!;
      if (j.cancelled) {
        this.queue.shift();
        continue;
      }
      if (out.length > 0 && n + j.items.length > this.opts.maxBatch) break;
      out.push(this.queue.shift()!);
      n += j.items.length;
    }
    return out;
  }
}
