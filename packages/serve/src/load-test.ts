/**
 * The reward server's load test, shared by load.test.ts (small) and scripts/serve-load.mjs (2,000 requests
 * from 32 clients): synthetic OpenRLHF requests whose prompt and completion are known apart, concurrent
 * clients on keep-alive connections, a check that every response holds exactly the rewards a direct call
 * gives, and latency percentiles. Also builds the tiny reward model both use. Not part of the public API.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Rng } from '@rlhfkit/engine';
import { CausalLM, gptConfig, initParams, Tokenizer } from '@rlhfkit/model';
import { initScoreHead, RewardModel } from '@rlhfkit/reward-model';

/** One synthetic sample: what OpenRLHF would send, with the prompt/completion split known. */
export interface Sample {
  prompt: string;
  completion: string;
  label: string;
}

const words = [
  'the',
  'whale',
  'sea',
  'ship',
  'captain',
  'good',
  'storm',
  'white',
  'harpoon',
  'sailed',
  'calm',
];

/** n requests of 1-4 samples each, prompts ending in a chat-like marker, labels that completions sometimes hold. */
export function syntheticRequests(n: number, seed: number): Sample[][] {
  const rng = new Rng(seed);
  const text = (k: number) => Array.from({ length: k }, () => words[rng.int(words.length)]!).join(' ');
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + rng.int(4) }, () => ({
      prompt: `Q: ${text(1 + rng.int(6))}\nA:`,
      completion: ` ${text(rng.int(12))}`,
      label: words[rng.int(words.length)]!,
    })),
  );
}

/** Flat scores (one per sample, all requests in order) cut back into one list per request. */
export function perRequest(flat: readonly number[], requests: readonly Sample[][]): number[][] {
  const out: number[][] = [];
  let at = 0;
  for (const r of requests) {
    out.push(flat.slice(at, at + r.length));
    at += r.length;
  }
  return out;
}

/** The JSON body OpenRLHF's client sends for these samples. */
export const requestBody = (samples: readonly Sample[]) =>
  JSON.stringify({
    query: samples.map((s) => s.prompt + s.completion),
    prompts: samples.map((s) => s.prompt),
    labels: samples.map((s) => s.label),
  });

export interface LoadResult {
  /** Rewards per request, or the error it got. */
  rewards: (number[] | Error)[];
  latenciesMs: number[];
  seconds: number;
}

/** Send every request, `concurrency` clients at a time, each client one request after another. */
export async function runLoad(
  url: string,
  requests: readonly Sample[][],
  concurrency: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const rewards: (number[] | Error)[] = new Array(requests.length);
  const latenciesMs: number[] = new Array(requests.length).fill(Number.NaN);
  let next = 0;
  const client = async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const t0 = performance.now();
      rewards[i] = await postJson(`${url}/get_reward`, requestBody(requests[i]!), agent).then(
        ({ status, json }) =>
          status === 200 && json.rewards ? json.rewards : new Error(`${status}: ${json.error}`),
        (err: Error) => err,
      );
      latenciesMs[i] = performance.now() - t0;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rewards, latenciesMs, seconds };
}

/** POST a JSON body on a keep-alive agent (node:http: lighter per request than fetch). */
function postJson(
  url: string,
  body: string,
  agent: Agent,
): Promise<{ status: number; json: { rewards?: number[]; error?: string } }> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface LoadReport {
  requests: number;
  samples: number;
  ok: number;
  /** Requests with an error instead of rewards. */
  dropped: number;
  /** Requests whose rewards differ from the direct call's (count or value beyond tol). */
  wrong: number;
  p50_ms: number;
  p99_ms: number;
  requests_per_s: number;
  /** The first few problems, for the message. */
  problems: string[];
}

/** Compare each request's rewards with the expected ones (a direct call), within an absolute tolerance. */
export function checkLoad(r: LoadResult, expected: readonly number[][], tol: number): LoadReport {
  const problems: string[] = [];
  let dropped = 0;
  let wrong = 0;
  r.rewards.forEach((got, i) => {
    const want = expected[i]!;
    if (got instanceof Error) {
      dropped++;
      if (problems.length < 5) problems.push(`request ${i}: ${got.message}`);
    } else if (got.length !== want.length || got.some((v, j) => !(Math.abs(v - want[j]!) <= tol))) {
      wrong++;
      if (problems.length < 5) problems.push(`request ${i}: got [${got}], want [${want}]`);
    }
  });
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return {
    requests: r.rewards.length,
    samples: expected.reduce((n, e) => n + e.length, 0),
    ok: r.rewards.length - dropped - wrong,
    dropped,
    wrong,
    p50_ms: round(pct(0.5)),
    p99_ms: round(pct(0.99)),
    requests_per_s: round(r.rewards.length / r.seconds),
    problems,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** A tiny untrained reward model (1 layer, 16 wide) with its tokenizer, saved to dir; its scores are fixed. */
export async function saveTinyRewardModel(dir: string, seed = 0): Promise<void> {
  const tok = Tokenizer.train([...words, 'Q:', 'A:'].join(' ').repeat(20), { vocabSize: 280 });
  const config = gptConfig({
    nLayer: 1,
    nHead: 2,
    nEmbd: 16,
    vocabSize: tok.vocabSize,
    nPositions: 64,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
  });
  const lm = new CausalLM(config, initParams(config, seed), initScoreHead(config, seed + 1), {}, tok);
  await new RewardModel(lm, tok).save(dir);
}
