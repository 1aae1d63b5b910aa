import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Feed, Program } from './program.js';
import type { WorkerReply, WorkerRequest } from './program-worker.js';
import type { HostTensor, RuntimeOptions } from './runtime.js';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The compiled worker script: beside this file in dist/, or in dist/ when running from source (tests). */
function workerUrl(): URL {
  const here = new URL('./program-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/program-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error('engine worker script not found: build the engine first (pnpm build)');
}

/**
 * Runs compiled programs on a worker thread. session.run is synchronous native code, so a long step on the
 * main thread would freeze timers, input and rendering; here the main thread only posts messages.
 */
export class WorkerHost {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(private readonly options: RuntimeOptions = {}) {
    this.worker = new Worker(workerUrl());
    this.worker.on('message', (r: WorkerReply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (r.ok) p?.resolve(r.value);
      else p?.reject(new Error(r.error));
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
    this.worker.unref();
  }

  private call(req: WithoutId<WorkerRequest>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  /** Load a program on the worker; the returned function runs it there. */
  async load(
    program: Program,
  ): Promise<(feeds: Record<string, Feed>) => Promise<Record<string, HostTensor>>> {
    const handle = (await this.call({ kind: 'load', model: program.model, options: this.options })) as number;
    return async (feeds) => {
      const prepared = program.prepare(feeds);
      return (await this.call({ kind: 'run', handle, feeds: prepared })) as Record<string, HostTensor>;
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
