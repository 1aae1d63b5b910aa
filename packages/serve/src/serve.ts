/**
 * `rlhf serve-reward` as a function: typed options in (the CLI parses flags), a running reward server until
 * SIGINT or SIGTERM (or an abort signal), then a clean shutdown. User mistakes (no scorer or two, a missing
 * reward-model directory, a bad reward-function module, a port in use) throw ServeError, for exit code 2.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RuntimeOptions } from '@rlhfkit/engine';
import { loadRewardFn, RewardFnError } from '@rlhfkit/io';
import { RewardModel } from '@rlhfkit/reward-model';
import { rewardServerDefaults } from './config.js';
import { type RewardScorer, rewardFnScorer, rewardModelScorer } from './scorers.js';
import { createRewardServer, type RewardServerOptions } from './server.js';

/** A mistake the user can fix; the message says what to do. */
export class ServeError extends Error {
  override name = 'ServeError';
}

export type ServeRewardOptions = Omit<RewardServerOptions, 'scorer' | 'log'> & {
  /** A reward model directory (rlhf train-rm's `model/`). Exactly one of rewardModel and rewardFn. */
  rewardModel?: string | undefined;
  /** A reward function module, `FILE.mjs[:export]`. */
  rewardFn?: string | undefined;
  /** Where relative paths start (default: the process's working directory). */
  cwd?: string;
  /** Where the reward model runs (CPU by default). */
  runtime?: RuntimeOptions;
  /** Rows per reward-model forward pass. */
  rmBatchSize?: number;
  /** Lifecycle lines (listening, stopping, scoring failures); default: stderr. */
  log?: (line: string) => void;
  /** Stop when this aborts, as on SIGINT (for callers that own the process's signals, and tests). */
  signal?: AbortSignal;
  /** Called once listening, with the base URL. */
  onListening?: (url: string) => void;
};

/** Load the scorer the options name. */
export async function loadScorer(o: ServeRewardOptions): Promise<RewardScorer> {
  const cwd = o.cwd ?? process.cwd();
  if ((o.rewardModel === undefined) === (o.rewardFn === undefined))
    throw new ServeError('give exactly one of --reward-model DIR and --reward-fn FILE.mjs[:export]');
  const timeoutMs = o.timeoutMs ?? rewardServerDefaults.timeoutMs;
  if (o.rewardFn !== undefined) {
    try {
      return rewardFnScorer(await loadRewardFn(o.rewardFn, cwd), timeoutMs);
    } catch (err) {
      throw err instanceof RewardFnError ? new ServeError(err.message) : err;
    }
  }
  const dir = o.rewardModel!;
  const config = await stat(join(resolve(cwd, dir), 'config.json')).catch(() => undefined);
  if (!config?.isFile())
    throw new ServeError(
      `--reward-model ${dir}: no config.json there; give a model directory from rlhf train-rm`,
    );
  try {
    const rm = await RewardModel.load(resolve(cwd, dir), o.runtime);
    return rewardModelScorer(rm, dir, o.rmBatchSize ?? rewardServerDefaults.rmBatchSize);
  } catch (err) {
    throw new ServeError(`--reward-model ${dir}: ${(err as Error).message}`);
  }
}

/**
 * Serve rewards until SIGINT/SIGTERM or `signal` aborts; resolves with what stopped it once every request in
 * flight has been answered and the port is closed. A second SIGINT/SIGTERM drops the requests in flight.
 */
export async function serveReward(o: ServeRewardOptions): Promise<StopReason> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const scorer = await loadScorer(o);
  const server = createRewardServer({ ...o, scorer, log });
  const url = await server.start().catch((err: NodeJS.ErrnoException) => {
    const where = `${o.host ?? rewardServerDefaults.host}:${o.port ?? rewardServerDefaults.port}`;
    if (err.code === 'EADDRINUSE') throw new ServeError(`${where} is in use; pick another port with --port`);
    if (err.code === 'EACCES')
      throw new ServeError(`${where}: not allowed to listen there; use a port above 1023`);
    if (err.code === 'EADDRNOTAVAIL')
      throw new ServeError(`${where}: no such address on this machine (--host)`);
    throw err;
  });
  log(`serving ${scorer.name}: POST ${url}/get_reward (OpenRLHF --remote_rm_url), health at ${url}/health`);
  o.onListening?.(url);

  const reason = await stopRequested(o.signal);
  const { inFlight } = server.stats;
  log(`${reason}: stopping; finishing ${inFlight} request(s) in flight (again to drop them)`);
  const force = () => void server.close(true);
  process.once('SIGINT', force).once('SIGTERM', force);
  try {
    await server.close();
  } finally {
    process.off('SIGINT', force).off('SIGTERM', force);
  }
  const s = server.stats;
  log(
    `stopped: ${s.ok} answered, ${s.clientErrors} refused (4xx), ${s.serverErrors} failed (5xx), ${s.items} scored`,
  );
  return reason;
}

type StopReason = 'SIGINT' | 'SIGTERM' | 'abort';

/** Resolves on the first SIGINT, SIGTERM or abort, and stops listening for them. */
function stopRequested(signal: AbortSignal | undefined): Promise<StopReason> {
  return new Promise((done) => {
    const stop = (r: StopReason) => () => {
      process.off('SIGINT', onInt).off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
      done(r);
    };
    const [onInt, onTerm, onAbort] = [stop('SIGINT'), stop('SIGTERM'), stop('abort')];
    process.on('SIGINT', onInt).on('SIGTERM', onTerm);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
