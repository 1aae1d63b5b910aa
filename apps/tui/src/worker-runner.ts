/** Runs jobs on a worker thread, so training never blocks the event loop that draws the UI and reads keys. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JobControl, JobKind } from '@rlhfkit/io';
import type { FromWorker, ToWorker } from './job-worker.js';
import { type JobRunner, jobSpecs } from './jobs/specs.js';

/**
 * A runner whose module is imported only when a job starts, so `rlhf --help` and `rlhf eval` do not load
 * the engine. Control calls made while the module loads are replayed on the job's own control.
 */
export function lazyRunner(load: () => Promise<JobRunner>): JobRunner {
  return (options, sink) => {
    const queued: (keyof JobControl)[] = [];
    let real: JobControl | undefined;
    const call = (method: keyof JobControl) => () => {
      if (real) real[method]();
      else queued.push(method);
    };
    const control: JobControl = {
      pause: call('pause'),
      resume: call('resume'),
      saveNow: call('saveNow'),
      stop: call('stop'),
    };
    const done = load().then((runner) => {
      const started = runner(options, sink);
      real = started.control;
      for (const method of queued) real[method]();
      return started.done;
    });
    return { control, done };
  };
}

/**
 * A runner that starts `kind` in a worker. From TypeScript sources (tests), where no compiled worker script
 * exists, the job runs in this thread.
 */
export function workerRunner(kind: JobKind): JobRunner {
  return (options, sink) => {
    const script = new URL('./job-worker.js', import.meta.url);
    if (!existsSync(fileURLToPath(script))) return lazyRunner(jobSpecs[kind].load)(options, sink);
    const worker = new Worker(script, { workerData: { kind, options } });
    const send = (control: keyof JobControl) => () => worker.postMessage({ control } satisfies ToWorker);
    const done = new Promise<Record<string, unknown>>((resolve, reject) => {
      let settled = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'event') sink(m.event);
        else if (m.type === 'done') {
          settled = true;
          resolve(m.summary);
          void worker.terminate();
        } else {
          settled = true;
          reject(Object.assign(new Error(m.message), { name: m.name }));
          void worker.terminate();
        }
      });
      worker.on('error', (e) => {
        settled = true;
        reject(e);
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(`the job's worker exited with code ${code}`));
      });
    });
    return {
      control: { pause: send('pause'), resume: send('resume'), saveNow: send('saveNow'), stop: send('stop') },
      done,
    };
  };
}

/** The runner of each job: on a worker thread; tests and embedders may plug in their own. */
export const jobs: Record<JobKind, JobRunner> = Object.fromEntries(
  Object.keys(jobSpecs).map((k) => [k, workerRunner(k as JobKind)]),
) as Record<JobKind, JobRunner>;
