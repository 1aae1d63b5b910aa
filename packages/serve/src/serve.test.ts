import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { saveTinyRewardModel } from './load-test.js';
import { loadScorer, ServeError, serveReward } from './serve.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));

describe('loadScorer', () => {
  it('wants exactly one of a reward model and a reward function', async () => {
    await expect(loadScorer({})).rejects.toThrow(ServeError);
    await expect(loadScorer({ rewardModel: 'a', rewardFn: 'b.mjs' })).rejects.toThrow(/exactly one of/);
  });

  it('turns a bad reward-model directory or reward-function module into a ServeError naming it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'serve-empty-'));
    await expect(loadScorer({ rewardModel: empty })).rejects.toThrow(
      `--reward-model ${empty}: no config.json there`,
    );
    const noFn = loadScorer({ rewardFn: 'no-default.mjs', cwd: fixtures });
    await expect(noFn).rejects.toThrow(ServeError);
    await expect(noFn).rejects.toThrow(/no-default\.mjs has no export 'default'/);
  });

  it('splits each query for a reward function, passing the label in row', async () => {
    const s = await loadScorer({ rewardFn: 'no-default.mjs:exactMatch', cwd: fixtures });
    expect(s).toMatchObject({ name: 'reward-fn no-default.mjs:exactMatch', needsPrompts: true });
    const items = [
      { query: 'Q: 2+2?\nA: 4', prompt: 'Q: 2+2?\nA:', label: 4 },
      { query: 'Q: 2+2?\nA: 5', prompt: 'Q: 2+2?\nA:', label: 4 },
    ];
    expect(await s.score(items)).toEqual([1, 0]);
  });

  it('loads a reward model that scores whole queries', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'serve-rm-')), 'model');
    await saveTinyRewardModel(dir);
    const s = await loadScorer({ rewardModel: dir });
    expect(s.needsPrompts).toBe(false);
    const [a, b] = await s.score([
      { query: 'Q: the whale\nA: calm sea', prompt: undefined, label: undefined },
      { query: 'Q: the whale\nA: storm', prompt: 'ignored', label: 'ignored' },
    ]);
    expect(Number.isFinite(a) && Number.isFinite(b) && a !== b).toBe(true);
  });
});

describe('serveReward', () => {
  it('serves until SIGTERM, answering the request in flight before it stops', async () => {
    const lines: string[] = [];
    let url = '';
    const done = serveReward({
      rewardFn: 'reward-fns.mjs:wordCount',
      cwd: fixtures,
      port: 0,
      batchWindowMs: 60_000, // the request waits in the queue until SIGTERM flushes it
      log: (l) => lines.push(l),
      onListening: (u) => (url = u),
    });
    await until(() => url !== '');
    const inFlight = fetch(`${url}/get_reward`, {
      method: 'POST',
      body: JSON.stringify({ query: ['Q:\nA: one two three'], prompts: ['Q:\nA:'], labels: [null] }),
    });
    for (let i = 0; i < 100; i++) {
      const health = (await (await fetch(`${url}/health`)).json()) as { in_flight: number };
      if (health.in_flight === 1) break; // the request has reached the server
    }
    process.emit('SIGTERM');
    const res = await inFlight;
    expect(await res.json()).toEqual({ rewards: [3], scores: [3], extra_logs: {} });
    expect(await done).toBe('SIGTERM');
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(lines[0]).toMatch(
      /^serving reward-fn reward-fns\.mjs:wordCount: POST http:\/\/127\.0\.0\.1:\d+\/get_reward/,
    );
    expect(lines.at(-2)).toMatch(/SIGTERM: stopping; finishing 1 request\(s\) in flight/);
    expect(lines.at(-1)).toMatch(/stopped: 1 answered/);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('says the port is taken instead of crashing', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const ac = new AbortController();
    await expect(
      serveReward({ rewardFn: 'reward-fns.mjs', cwd: fixtures, port, signal: ac.signal, log: () => {} }),
    ).rejects.toThrow(`127.0.0.1:${port} is in use; pick another port with --port`);
    taken.close();
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}
