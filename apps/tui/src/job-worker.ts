/**
 * The worker side of a job: runs one runner off the main thread (session.run is synchronous native code and
 * would freeze the UI), forwards its events, and obeys control messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JobControl, JobEvent, JobKind } from '@rlhfkit/io';
import { jobSpecs } from './jobs/specs.js';

export type ToWorker = { control: keyof JobControl };
export type FromWorker =
  | { type: 'event'; event: JobEvent }
  | { type: 'done'; summary: Record<string, unknown> }
  | { type: 'error'; name: string; message: string };

const port = parentPort;
if (port) {
  const { kind, options } = workerData as { kind: JobKind; options: Record<string, unknown> };
  const post = (m: FromWorker) => port.postMessage(m);
  const fail = (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'error', name: e.name, message: e.message });
  };
  jobSpecs[kind]
    .load()
    .then((runner) => {
      const { control, done } = runner(options, (event) => post({ type: 'event', event }));
      port.on('message', (m: ToWorker) => control[m.control]());
      return done.then((summary) => post({ type: 'done', summary }));
    })
    .catch(fail);
}
