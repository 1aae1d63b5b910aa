/**
 * The worker side of WorkerHost: receives model bytes and feeds, runs them with the runtime, and posts
 * outputs back with their buffers transferred (no copy).
 */
import { parentPort } from 'node:worker_threads';
import { getSession, type HostTensor, type RuntimeOptions } from './runtime.js';

export type WorkerRequest =
  | { id: number; kind: 'load'; model: Uint8Array; options: RuntimeOptions }
  | { id: number; kind: 'run'; handle: number; feeds: Record<string, HostTensor> };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const port = parentPort;
if (port) {
  const sessions = new Map<number, Awaited<ReturnType<typeof getSession>>>();
  let next = 0;
  port.on('message', async (req: WorkerRequest) => {
    try {
      if (req.kind === 'load') {
        const handle = next++;
        sessions.set(handle, await getSession(req.model, req.options));
        port.postMessage({ id: req.id, ok: true, value: handle } satisfies WorkerReply);
      } else {
        const s = sessions.get(req.handle);
        if (!s) throw new Error(`worker: no program with handle ${req.handle}`);
        const out = await s.run(req.feeds);
        const buffers = Object.values(out).map((t) => t.data.buffer as ArrayBuffer);
        port.postMessage({ id: req.id, ok: true, value: out } satisfies WorkerReply, buffers);
      }
    } catch (err) {
      port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
