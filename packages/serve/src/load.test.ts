// The load test, small: 200 requests from 16 clients against each scorer. scripts/serve-load.mjs runs the full one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRewardFn } from '@rlhfkit/io';
import { RewardModel } from '@rlhfkit/reward-model';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLoad, perRequest, runLoad, saveTinyRewardModel, syntheticRequests } from './load-test.js';
import { loadScorer } from './serve.js';
import { createRewardServer, type RewardServer } from './server.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const requests = syntheticRequests(200, 7);

let server: RewardServer | undefined;
afterEach(() => server?.close(true));

describe('reward server under load', () => {
  it('answers 200 requests from 16 clients with a reward function’s exact rewards', async () => {
    const scorer = await loadScorer({ rewardFn: 'reward-fns.mjs', cwd: fixtures });
    server = createRewardServer({ scorer, port: 0, maxBatch: 32 });
    const url = await server.start();
    // The expected rewards come from calling the function directly on the known prompt and completion.
    const { fn } = await loadRewardFn('reward-fns.mjs', fixtures);
    const expected = requests.map((r) =>
      r.map((s) => fn(s.prompt, s.completion, { label: s.label }) as number),
    );
    const report = checkLoad(await runLoad(url, requests, 16), expected, 0);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ requests: 200, ok: 200, dropped: 0, wrong: 0 });
    expect(server.stats.runs).toBeLessThan(200); // concurrent requests shared runs
  });

  it('answers 200 requests from 16 clients with a reward model’s rewards, equal to scoring directly', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'serve-rm-')), 'model');
    await saveTinyRewardModel(dir);
    server = createRewardServer({ scorer: await loadScorer({ rewardModel: dir }), port: 0, maxBatch: 32 });
    const url = await server.start();
    const rm = await RewardModel.load(dir);
    const flat = await rm.score(requests.flat().map((s) => s.prompt + s.completion));
    const expected = perRequest(flat, requests);
    // Batches differ (rows, padded length), so the float32 sums may round differently: 1e-5 apart at most.
    const report = checkLoad(await runLoad(url, requests, 16), expected, 1e-5);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ requests: 200, ok: 200, dropped: 0, wrong: 0 });
    expect(new Set(flat.map((x) => x.toFixed(4))).size).toBeGreaterThan(50); // the scores tell queries apart
  });
});
