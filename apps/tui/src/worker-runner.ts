/** Runs jobs on a worker thread, so training never blocks the event loop that draws the UI and reads keys. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JobControl, JobKind } from '@rlhfkit/io';
import type { FromWorker, ToWorker } from './job-worker.js';
import type { JobRunner } from './jobs.js';

/**
 * A runner that starts `kind` in a worker. From TypeScript sources (tests), where no compiled worker script
 * exists, it falls back to `inProcess`.
 */
export function workerRunner(kind: JobKind, inProcess: () => Promise<JobRunner>): JobRunner {
  return (options, sink) => {
    const script = new URL('./job-worker.js', import.meta.url);
    if (!existsSync(fileURLToPath(script))) {
      let real: JobControl | null = null;
      const queued: (keyof JobControl)[] = [];
      const done = inProcess().then((r) => {
        const s = r(options, sink);
        real = s.control;
        for (const q of queued) real[q]();
        return s.done;
      });
      const call = (k: keyof JobControl) => () => (real ? real[k]() : queued.push(k));
      return {
        control: {
          pause: call('pause'),
          resume: call('resume'),
          saveNow: call('saveNow'),
          stop: call('stop'),
        },
        done,
      };
    }
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
