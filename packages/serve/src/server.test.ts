import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RewardItem } from './protocol.js';
import type { RewardScorer } from './scorers.js';
import { createRewardServer, type RewardServer, type RewardServerOptions } from './server.js';

/** Scores a query by its length; `gate` (if set) holds every run until released; 'fail' in a query throws. */
function lengthScorer(opts: { gate?: Promise<void>; needsPrompts?: boolean } = {}) {
  const runs: number[] = [];
  const scorer: RewardScorer = {
    name: 'length',
    needsPrompts: opts.needsPrompts ?? false,
    async score(items: readonly RewardItem[]) {
      runs.push(items.length);
      await opts.gate;
      if (items.some((it) => it.query.includes('fail'))) throw new Error('the scorer broke');
      return items.map((it) => it.query.length);
    },
  };
  return { scorer, runs };
}

let server: RewardServer | undefined;
afterEach(async () => {
  await server?.close(true);
  server = undefined;
});

async function start(o: Partial<RewardServerOptions> & { scorer: RewardScorer }): Promise<string> {
  server = createRewardServer({ port: 0, batchWindowMs: 5, ...o });
  return server.start();
}

const post = async (url: string, body: unknown, path = '/get_reward') => {
  const res = await fetch(url + path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

/** A raw request: headers, then `parts` written one after another (chunked unless contentLength is given). */
function raw(
  url: string,
  parts: string[],
  contentLength?: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = contentLength === undefined ? {} : { 'content-length': contentLength };
    const req = request(`${url}/get_reward`, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    if (contentLength === undefined) req.end(); // otherwise leave the body unfinished
  });
}

describe('reward server requests', () => {
  it('answers OpenRLHF requests with each caller’s own rewards, batching concurrent ones', async () => {
    const { scorer, runs } = lengthScorer();
    const url = await start({ scorer, batchWindowMs: 50 });
    const [a, b] = await Promise.all([post(url, { query: ['ab', 'abcd'] }), post(url, { query: ['abc'] })]);
    expect(a).toEqual({ status: 200, json: { rewards: [2, 4], scores: [2, 4], extra_logs: {} } });
    expect(b.json['rewards']).toEqual([3]);
    expect(runs).toEqual([3]); // one scoring run for both
    expect(await post(url, { query: [] })).toEqual({
      status: 200,
      json: { rewards: [], scores: [], extra_logs: {} },
    });
    const text = await (
      await fetch(`${url}/get_reward`, { method: 'POST', body: '{"query": ["abc"]}' })
    ).text();
    expect(text).toBe('{"rewards":[3.0],"scores":[3.0],"extra_logs":{}}'); // floats for Python's json
  });

  it('reports health', async () => {
    const url = await start({ scorer: lengthScorer().scorer });
    await post(url, { query: ['x'] });
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', scorer: 'length', runs: 1, items_scored: 1 });
  });

  it('refuses each kind of malformed request with a 4xx JSON message naming the field, and keeps serving', async () => {
    const url = await start({ scorer: lengthScorer({ needsPrompts: true }).scorer });
    const cases: [unknown, number, string | undefined, RegExp][] = [
      ['not json', 400, undefined, /not valid JSON/],
      ['[]', 400, 'body', /expected object/],
      [{ prompts: ['a'] }, 400, 'query', /query:/],
      [{ query: 'a', prompts: 'a' }, 400, 'query', /query:/],
      [{ query: ['a', 5], prompts: ['a', 'b'] }, 400, 'query[1]', /query\[1\]:/],
      [{ query: ['a'] }, 400, 'prompts', /prompts: missing/],
      [{ query: ['a', 'b'], prompts: ['a'] }, 400, 'prompts', /has 1 entries but query has 2/],
      [{ query: ['a'], prompts: ['a'], labels: 'x' }, 400, 'labels', /labels:/],
    ];
    for (const [body, status, field, message] of cases) {
      const res = await post(url, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json['field']).toBe(field);
      expect(res.json['error']).toMatch(message);
    }
    const wrongPath = await post(url, { query: ['a'] }, '/reward');
    expect([wrongPath.status, wrongPath.json['error']]).toEqual([
      404,
      'no /reward: POST /get_reward, or GET /health',
    ]);
    const get = await fetch(`${url}/get_reward`);
    expect([get.status, ((await get.json()) as { error: string }).error]).toEqual([
      405,
      'GET /get_reward: use POST with a JSON body',
    ]);
    expect((await post(url, { query: ['ab'], prompts: ['a'] })).json['rewards']).toEqual([2]);
  });

  it('refuses a body over the size limit, declared or streamed, with 413', async () => {
    const url = await start({ scorer: lengthScorer().scorer, maxBodyBytes: 1000 });
    const big = JSON.stringify({ query: ['x'.repeat(2000)] });
    const declared = await post(url, big);
    expect(declared.status).toBe(413);
    expect(declared.json['error']).toMatch(/larger than 1000 bytes/);
    const streamed = await raw(url, [big.slice(0, 800), big.slice(800)]);
    expect(streamed.status).toBe(413);
    expect((await post(url, { query: ['ok'] })).status).toBe(200);
  });

  it('answers 408 when the body stalls and 503 when scoring takes longer than the deadline', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const url = await start({ scorer: lengthScorer({ gate }).scorer, timeoutMs: 300 });
    const stalled = await raw(url, ['{"query": ['], 100);
    expect(stalled.status).toBe(408);
    expect(JSON.parse(stalled.body).error).toMatch(/did not arrive within 300 ms/);
    const slow = await post(url, { query: ['a'] });
    expect(slow.status).toBe(503);
    expect(slow.json['error']).toMatch(/no scores within 300 ms/);
    release();
  });

  it('gives 500 to the requests of a run whose scorer throws, and serves the next run', async () => {
    const url = await start({ scorer: lengthScorer().scorer, batchWindowMs: 50 });
    const [bad, sameRun] = await Promise.all([post(url, { query: ['fail'] }), post(url, { query: ['ok'] })]);
    expect([bad.status, bad.json['error']]).toEqual([500, 'scoring failed: the scorer broke']);
    expect(sameRun.status).toBe(500);
    expect(await post(url, { query: ['fine'] })).toMatchObject({ status: 200, json: { rewards: [4] } });
    expect(server!.stats).toMatchObject({ ok: 1, serverErrors: 2 });
  });
});

describe('reward server shutdown', () => {
  it('stops accepting, answers every request in flight, then closes', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { scorer, runs } = lengthScorer({ gate });
    const url = await start({ scorer, batchWindowMs: 1 });
    const first = post(url, { query: ['a', 'bb'] }); // scored in the first run, held at the gate
    await until(() => runs.length === 1);
    const queued = [post(url, { query: ['ccc'] }), post(url, { query: ['dddd'] })]; // wait for the next run
    await until(() => server!.stats.inFlight === 3);
    let closed = false;
    const closing = server!.close().then(() => (closed = true));
    await expect(fetch(`${url}/health`)).rejects.toThrow(); // no new connections
    expect(closed).toBe(false);
    release();
    const answers = await Promise.all([first, ...queued]);
    expect(answers.map((a) => [a.status, a.json['rewards']])).toEqual([
      [200, [1, 2]],
      [200, [3]],
      [200, [4]],
    ]);
    await closing;
    expect(server!.stats.inFlight).toBe(0);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}
