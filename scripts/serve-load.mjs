// `pnpm bench:serve`: the reward server's load test on 127.0.0.1 (issue 21). For each scorer, a reward function
// (packages/serve/test/fixtures/reward-fns.mjs) and a tiny reward model (1 layer, 16 wide, saved to a temporary
// directory and loaded as `rlhf serve-reward --reward-model` would), it starts the server, sends --requests
// OpenRLHF requests (1-4 samples each) from --clients concurrent keep-alive clients on a worker thread (their own
// event loop, as a remote client would have), and checks that none was dropped and every response holds exactly
// the rewards a direct call gives (the function called on the known prompt and completion; the model scoring
// all queries in one call, within 1e-5 since batches pad differently). One JSON line per scorer on stdout:
//   {"scorer", "requests", "samples", "clients", "ok", "dropped", "wrong", "p50_ms", "p99_ms", "requests_per_s",
//    "runs", "mean_run_items"}
// Exit code 1 if any request was dropped or wrong. Flags: --requests N (2000), --clients N (32),
// --max-batch N (64), --window-ms N (5), --seed N (1).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const dist = (pkg, file = 'index.js') => new URL(`../packages/${pkg}/dist/${file}`, import.meta.url).href;
const load = await import(dist('serve', 'load-test.js'));

if (!isMainThread) {
  // The clients: run the load and hand the results back.
  const { url, requests, clients } = workerData;
  parentPort.postMessage(await load.runLoad(url, requests, clients));
} else {
  await main();
}

async function main() {
  const int = (v, name) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) {
      console.error(`serve-load: --${name} must be a positive integer, got '${v}'`);
      process.exit(2);
    }
    return n;
  };
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '2000' },
      clients: { type: 'string', default: '32' },
      'max-batch': { type: 'string', default: '64' },
      'window-ms': { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
    },
  });
  const o = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, int(v, k)]));
  const serve = await import(dist('serve'));
  const { RewardModel } = await import(dist('reward-model'));
  const requests = load.syntheticRequests(o.requests, o.seed);
  const samples = requests.flat();
  let failed = false;

  const fixtures = new URL('../packages/serve/test/fixtures/', import.meta.url).pathname;
  const { fn } = await (await import(dist('io'))).loadRewardFn('reward-fns.mjs', fixtures);
  const fnExpected = requests.map((r) => r.map((s) => fn(s.prompt, s.completion, { label: s.label })));
  failed ||= await run(serve, { rewardFn: 'reward-fns.mjs', cwd: fixtures }, 'reward-fn', fnExpected, 0, o);

  const tmp = mkdtempSync(join(tmpdir(), 'serve-load-'));
  try {
    const dir = join(tmp, 'model');
    await load.saveTinyRewardModel(dir);
    const flat = await (await RewardModel.load(dir)).score(samples.map((s) => s.prompt + s.completion));
    const rmExpected = load.perRequest(flat, requests);
    failed ||= await run(serve, { rewardModel: dir }, 'reward-model (tiny)', rmExpected, 1e-5, o);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);

  async function run(serve, scorerOptions, name, expected, tol, o) {
    const scorer = await serve.loadScorer(scorerOptions);
    const server = serve.createRewardServer({
      scorer,
      port: 0,
      maxBatch: o['max-batch'],
      batchWindowMs: o['window-ms'],
    });
    const url = await server.start();
    const result = await new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { url, requests, clients: o.clients } });
      w.once('message', resolve).once('error', reject);
    });
    await server.close();
    const { problems, ...report } = load.checkLoad(result, expected, tol);
    const { runs, items } = server.stats;
    const line = {
      scorer: name,
      ...report,
      clients: o.clients,
      runs,
      mean_run_items: Math.round((items / runs) * 10) / 10,
    };
    console.log(JSON.stringify(line));
    for (const p of problems) console.error(`serve-load: ${name}: ${p}`);
    return report.dropped > 0 || report.wrong > 0;
  }
}
