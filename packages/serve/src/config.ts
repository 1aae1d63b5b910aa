/**
 * The reward server's settings as one zod schema, a description and a help group per field: `rlhf serve-reward`
 * derives its flags from it (a new field is a new flag) and createRewardServer takes its defaults from it.
 * Imported alone as `@rlhfkit/serve/config` (zod only), so --help loads no engine.
 */
import { z } from 'zod';

const doc = (group: string, description: string) => ({ group, description });
const int = (min: number) => z.number().int().min(min);

export const rewardServerDefaults = {
  port: 5000, // OpenRLHF's serve_rm default
  host: '127.0.0.1',
  maxBodyBytes: 8 * 1024 * 1024,
  timeoutMs: 120_000, // under the 180 s OpenRLHF's client waits before retrying
  maxBatch: 64,
  batchWindowMs: 5,
  rmBatchSize: 16,
} as const;

const d = rewardServerDefaults;

export const serveConfigSchema = z.object({
  port: int(0)
    .max(65535)
    .default(d.port)
    .meta(doc('server', "TCP port (OpenRLHF's serve_rm default); 0 picks a free one")),
  host: z
    .string()
    .min(1)
    .default(d.host)
    .meta(
      doc(
        'server',
        'interface to listen on; 0.0.0.0 serves other machines (a Ray cluster; no authentication)',
      ),
    ),
  maxBodyBytes: int(1)
    .default(d.maxBodyBytes)
    .meta(doc('limits', 'largest request body accepted, in bytes (larger ones get 413)')),
  timeoutMs: int(1)
    .default(d.timeoutMs)
    .meta(
      doc(
        'limits',
        "deadline per request, headers to response, in ms (OpenRLHF's client gives up at 180 s); also the grace period on shutdown and a reward function's time per sample",
      ),
    ),
  maxBatch: int(1)
    .default(d.maxBatch)
    .meta(doc('batching', 'most samples scored in one run (concurrent requests share runs)')),
  batchWindowMs: int(0)
    .default(d.batchWindowMs)
    .meta(doc('batching', 'how long a lone request waits for others to share its scoring run, in ms')),
  rmBatchSize: int(1)
    .default(d.rmBatchSize)
    .meta(doc('batching', "rows per reward model forward pass (a run's samples are scored in slices of it)")),
});

export type ServeConfig = z.output<typeof serveConfigSchema>;
