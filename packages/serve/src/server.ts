/**
 * The reward server on node:http: `POST /get_reward` speaks OpenRLHF's remote reward protocol (protocol.ts),
 * `GET /health` says whether it is up and how busy. Concurrent requests are scored together (batcher.ts).
 * Every request has a body-size limit (413) and a deadline (408 while the body is still arriving, 503 while it
 * waits for scoring); a malformed one gets a 4xx whose JSON names the field; a scorer that throws fails only the
 * requests of that run (500). close() stops accepting, lets the requests in flight finish, then closes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Batcher } from './batcher.js';
import { rewardServerDefaults } from './config.js';
import { ProtocolError, parseRewardRequest, type RewardItem, rewardResponseJson } from './protocol.js';
import type { RewardScorer } from './scorers.js';

export interface RewardServerOptions {
  scorer: RewardScorer;
  /** TCP port; 0 picks a free one (see `url`). */
  port?: number;
  /** Interface to listen on; '0.0.0.0' to serve other machines (a Ray cluster). */
  host?: string;
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes?: number;
  /** Deadline per request, from its headers to its response (ms); also the grace period on close. */
  timeoutMs?: number;
  /** Most items (queries) in one scoring run. */
  maxBatch?: number;
  /** How long a lone request waits for others to share its scoring run (ms). */
  batchWindowMs?: number;
  /** Where lifecycle and scoring-failure lines go. */
  log?: (line: string) => void;
}

export interface RewardServer {
  /** Listen; resolves to the server's base URL, e.g. http://127.0.0.1:5000. */
  start(): Promise<string>;
  /**
   * Stop accepting, finish the requests in flight, close every connection (after timeoutMs at most).
   * force: drop the connections now, requests in flight included. Safe to call again (e.g. to force).
   */
  close(force?: boolean): Promise<void>;
  /** Base URL once started. */
  readonly url: string;
  readonly stats: {
    ok: number;
    clientErrors: number;
    serverErrors: number;
    /** Reward requests received but not yet answered. */
    inFlight: number;
    runs: number;
    items: number;
  };
}

/** A failure of ours or the scorer's, not the caller's: a 5xx. */
class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createRewardServer(options: RewardServerOptions): RewardServer {
  const o = { ...rewardServerDefaults, ...options };
  for (const k of ['maxBodyBytes', 'timeoutMs', 'maxBatch', 'batchWindowMs'] as const)
    if (!Number.isSafeInteger(o[k]) || o[k] < (k === 'batchWindowMs' ? 0 : 1))
      throw new RangeError(
        `createRewardServer: ${k} must be a ${k === 'batchWindowMs' ? 'non-negative' : 'positive'} integer, got ${o[k]}`,
      );
  const log = options.log ?? (() => {});
  const score = async (items: readonly RewardItem[]) => {
    try {
      return await o.scorer.score(items);
    } catch (err) {
      log(`scoring failed (a run of ${items.length} items; its requests get 500): ${(err as Error).message}`);
      throw err;
    }
  };
  const batcher = new Batcher<RewardItem>(score, {
    maxBatch: o.maxBatch,
    windowMs: o.batchWindowMs,
  });
  const counts = { ok: 0, clientErrors: 0, serverErrors: 0, inFlight: 0 };
  let closing: Promise<void> | undefined;
  let url = '';

  /** Write a JSON response (an object, or JSON text); `count` false keeps health checks out of the counts. */
  const send = (res: ServerResponse, status: number, body: unknown, count = true) => {
    if (res.headersSent || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (count) counts[status < 400 ? 'ok' : status < 500 ? 'clientErrors' : 'serverErrors']++;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      // Closing, or a body we stopped reading (408, 413): this connection ends with the response.
      ...(closing || status === 408 || status === 413 ? { connection: 'close' } : {}),
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, err: unknown) => {
    if (err instanceof ProtocolError)
      send(res, err.status, err.field ? { error: err.message, field: err.field } : { error: err.message });
    else if (err instanceof ServerError) send(res, err.status, { error: err.message });
    else send(res, 500, { error: `scoring failed: ${(err as Error).message}` });
  };

  const health = () => ({
    status: closing ? 'closing' : 'ok',
    scorer: o.scorer.name,
    in_flight: counts.inFlight,
    queued_items: batcher.queuedItems,
    scoring: batcher.busy,
    runs: batcher.stats.runs,
    items_scored: batcher.stats.items,
  });

  async function getReward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.inFlight++;
    let bodyDone = false;
    let cancel = () => {};
    const deadline = setTimeout(() => {
      cancel();
      if (bodyDone)
        fail(res, new ServerError(503, `no scores within ${o.timeoutMs} ms; the server is overloaded`));
      else
        fail(
          res,
          new ProtocolError(408, undefined, `the request body did not arrive within ${o.timeoutMs} ms`),
        );
    }, o.timeoutMs);
    res.on('close', () => cancel()); // the caller left: drop its items if they are still queued
    try {
      const body = await readBody(req, o.maxBodyBytes);
      bodyDone = true;
      const items = parseRewardRequest(body, { needsPrompts: o.scorer.needsPrompts });
      if (items.length === 0) return send(res, 200, rewardResponseJson([]));
      const job = batcher.submit(items);
      cancel = job.cancel;
      send(res, 200, rewardResponseJson(await job.result));
    } catch (err) {
      fail(res, err);
    } finally {
      clearTimeout(deadline);
      counts.inFlight--;
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (closing) return fail(res, new ServerError(503, 'the server is shutting down'));
    if (path === '/health') {
      if (req.method === 'GET' || req.method === 'HEAD') return send(res, 200, health(), false);
      return fail(res, new ProtocolError(405, undefined, `${req.method} /health: use GET`));
    }
    if (path !== '/get_reward')
      return fail(res, new ProtocolError(404, undefined, `no ${path}: POST /get_reward, or GET /health`));
    if (req.method !== 'POST')
      return fail(
        res,
        new ProtocolError(405, undefined, `${req.method} /get_reward: use POST with a JSON body`),
      );
    void getReward(req, res);
  });
  // Node's own limits sit behind ours: headers (slow clients) within a minute, a whole request just after ours.
  server.requestTimeout = o.timeoutMs + 1000;
  server.headersTimeout = Math.min(60_000, server.requestTimeout);

  return {
    get url() {
      return url;
    },
    get stats() {
      return { ...counts, runs: batcher.stats.runs, items: batcher.stats.items };
    },
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
          resolve(url);
        });
      }),
    close: (force = false) => {
      if (force) server.closeAllConnections();
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        // Requests in flight finish (their responses say Connection: close); idle keep-alive sockets close now.
        const force = setTimeout(() => server.closeAllConnections(), o.timeoutMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
        batcher.flushNow();
      });
      return closing;
    },
  };
}

/** The body as text, refusing more than max bytes (413). */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) return Promise.reject(tooLarge(max));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > max) {
        req.off('data', onData);
        reject(tooLarge(max));
      } else chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

const tooLarge = (max: number) =>
  new ProtocolError(413, undefined, `the body is larger than ${max} bytes; send fewer queries per request`);
