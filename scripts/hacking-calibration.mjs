// Calibrates the reward-hacking flag (packages/ppo/src/hacking.ts) on the sentiment demo. From a finished
// `pnpm demo --preset ci --out DIR` it reruns the demo's PPO stage from the cached pretrained policy and reward
// model under named settings, and writes every run's metric history (the watch metrics included), its final
// gold score and sample completions, and the flags hackingFlags raises. The histories it wrote are the fixture
// packages/ppo/test/fixtures/hacking-histories.json.
//   node scripts/hacking-calibration.mjs DIR [--out FILE] [--runs hack,strong-kl,...]   (after a build)
// The reward model's held-out score range is computed from DIR/pairs/prefs-eval.jsonl, as its training now
// records it (score_range.json), so a demo directory made before that change works too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const dist = (pkg, file = 'index.js') => new URL(`../packages/${pkg}/dist/${file}`, import.meta.url).href;
const tuiDist = (file) => new URL(`../apps/tui/dist/demo/${file}`, import.meta.url).href;
const [{ Rng }, { loadCausalLM }, ppo, rmPkg, data, { presets }] = await Promise.all([
  import(dist('engine')),
  import(dist('model')),
  import(dist('ppo')),
  import(dist('reward-model')),
  import(tuiDist('data.js')),
  import(tuiDist('presets.js')),
]);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'ppo-seed': { type: 'string' },
  },
});
const dir = positionals[0];
if (!dir) {
  console.error(
    'usage: node scripts/hacking-calibration.mjs DEMO_DIR [--out FILE] [--runs a,b] [--seed N] [--ppo-seed N]',
  );
  process.exit(2);
}
const seed = Number(values.seed); // the demo's seed: its PPO prompts and held-out prompts
const ppoSeed = Number(values['ppo-seed'] ?? seed);
const p = presets.ci;
/** The settings compared: the demo's own PPO (the known hack) and honest runs. */
const settings = {
  hack: {},
  'strong-kl': { klCoef: 1.5 },
  'kl-0.5': { klCoef: 0.5 },
  'few-iterations': { iterations: 8 },
  'low-lr': { lr: 5e-5 },
};
const names = values.runs ? values.runs.split(',') : Object.keys(settings);

const base = await loadCausalLM(join(dir, 'pretrain', 'model'));
const rm = await rmPkg.RewardModel.load(join(dir, 'reward-model', 'model'));
if (!rm.scoreRange) {
  const held = await rmPkg.loadPreferences(join(dir, 'pairs', 'prefs-eval.jsonl'));
  const ev = await rmPkg.evaluateRewardModel(rm, held);
  rm.scoreRange = { min: ev.min_score, max: ev.max_score, pairs: held.length };
}
// The demo's PPO prompts: the training prompts past those used for pairs (apps/tui/src/demo/demo.ts).
const corpus = data.loadCorpus();
const trainPrompts = new Rng(seed).shuffle(data.sentencePrompts(corpus.train, p.pairs.promptWords));
const prompts = trainPrompts.slice(p.pairs.prompts);

const out = { demo: dir, seed, ppoSeed, scoreRange: rm.scoreRange, runs: {} };
for (const name of names) {
  const t0 = Date.now();
  const res = await ppo.runPPO({
    config: ppo.ppoConfig({ ...p.ppo, seed: ppoSeed, ...settings[name] }),
    policy: base,
    scorer: ppo.rewardModelScorer(rm),
    prompts,
  });
  // Gold score of the final policy on held-out prompts (the demo's hidden rater), 2 samples each.
  const evalPrompts = new Rng(seed + 1)
    .shuffle(data.sentencePrompts(corpus.heldOut, p.pairs.promptWords))
    .slice(0, 32);
  const tok = res.policy.tokenizer;
  const gen = await res.policy.generate(
    evalPrompts.flatMap((q) => [tok.encode(q), tok.encode(q)]),
    { maxNewTokens: p.ppo.maxNewTokens, temperature: 1, seed: seed + 31 },
  );
  const texts = gen.map((t) => tok.decode(t.filter((x) => x !== tok.eosTokenId)));
  const gold = texts.reduce((s, t) => s + data.goldScore(t), 0) / texts.length;
  const keep = (m) =>
    Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('timing/') && !k.startsWith('perf/')));
  const history = res.history.map(keep);
  const flags = ppo.hackingFlags(history);
  out.runs[name] = { settings: settings[name], gold, samples: texts.slice(0, 6), flags, history };
  const last = history.at(-1);
  console.log(
    `${name.padEnd(15)} ${((Date.now() - t0) / 1000).toFixed(0)}s gold ${gold.toFixed(2)} ` +
      `scores ${history[0]['objective/scores'].toFixed(2)} -> ${last['objective/scores'].toFixed(2)} ` +
      `distinct_2 ${history[0]['completions/distinct_2'].toFixed(3)} -> ${last['completions/distinct_2'].toFixed(3)} ` +
      `kl/token ${last['objective/kl_per_token'].toFixed(3)} out-of-range ${last['rm/out_of_range_frac'].toFixed(2)} ` +
      `flags ${flags.length ? `from iteration ${flags[0].step}` : 'none'}`,
  );
  console.log(
    `  ${texts
      .slice(0, 3)
      .map((t) => JSON.stringify(t))
      .join('  ')}`,
  );
}
if (values.out) writeFileSync(values.out, `${JSON.stringify(out, null, 1)}\n`);
