// `pnpm bench:compare`: ../shared/bench/torch_anchor.py (PyTorch on the CPU) and scripts/bench.mjs, run
// alternately on the same configs in one run, and the ratios ours / torch per metric. Absolute figures drift
// on a shared machine; ratios from runs seconds apart do not drift as much. See scripts/BENCH.md.
//
// stdout: one JSON line per round ({config, round, torch, ours, ratio}) and one summary line per config
// (median ratio over the rounds, and whether each target of issue 10 is met); stderr: progress and a table.
// Flags: --config NAME|all (default all: tiny and small; see bench-args.mjs for the others), --rounds N (default 3), --repeats N (timed runs per metric in
// each program, default 5), --threads N (ours, default 2; PyTorch runs with 1, as its README says),
// --python PATH (default /usr/bin/python3), --anchor PATH (default ../shared/bench/torch_anchor.py beside
// the repository), --no-wait (do not wait for an idle CPU before each run).
// Without PyTorch (or the anchor script) it says so, prints our numbers, and exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anchorFlags, configs, defaultConfigs, parseFlags } from './bench-args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// Targets of issue 10, and issue 14's at smollm2-135m (generation >= 2x, training >= 1.2x PyTorch).
const defaultTargets = { train: 1.2, gen: 3, score: 1.2, train_mfu: 0.6 };
const targetsFor = (config) => (config === 'smollm2-135m' ? { ...defaultTargets, gen: 2 } : defaultTargets);

function fail(msg) {
  process.stderr.write(
    `bench-compare: ${msg}\nusage: pnpm bench:compare [--config NAME|all] [--rounds N] [--repeats N] ` +
      '[--threads N] [--python PATH] [--anchor PATH] [--no-wait]\n' +
      `configs: ${Object.keys(configs).join(', ')} (all: ${defaultConfigs.join(', ')})\n`,
  );
  process.exit(2);
}

const args = parseFlags(
  process.argv.slice(2),
  {
    config: { type: 'string', default: 'all', choices: ['all', ...Object.keys(configs)] },
    rounds: { type: 'string', default: 3, min: 1 },
    repeats: { type: 'string', default: 5, min: 1 },
    threads: { type: 'string', default: 2, min: 1 },
    python: { type: 'string', default: '/usr/bin/python3' },
    anchor: { type: 'string', default: null },
    'no-wait': { type: 'boolean', default: false },
  },
  fail,
);
args.anchor = args.anchor ? resolve(args.anchor) : resolve(root, '../shared/bench/torch_anchor.py');
const log = (msg) => process.stderr.write(`bench-compare: ${msg}\n`);
const names = args.config === 'all' ? defaultConfigs : [args.config];

/** The last JSON line a command printed on stdout. */
function runJson(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${argv.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr.slice(-2000)}`,
    );
  }
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`${cmd} ${argv.join(' ')} printed no JSON line`);
  return lines.map((l) => JSON.parse(l));
}

const ours = (config) =>
  runJson(process.execPath, [
    resolve(root, 'scripts/bench.mjs'),
    '--config',
    config,
    '--threads',
    String(args.threads),
    '--repeats',
    String(args.repeats),
    '--loop-steps',
    '0',
  ])[0];
const torch = (config) =>
  runJson(args.python, [
    args.anchor,
    '--threads',
    '1',
    '--reps',
    String(args.repeats),
    ...anchorFlags(configs[config]),
  ])[0];

/** Fraction of CPU time idle over `ms`, from /proc/stat (null where there is none). */
async function idleFraction(ms = 1000) {
  const snap = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((x, y) => x + y, 0) };
  };
  if (!existsSync('/proc/stat')) return null;
  const a = snap();
  await new Promise((r) => setTimeout(r, ms));
  const b = snap();
  return (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** Wait (up to 90 s) for a second in which the CPUs are at least 85% idle; returns the last idle fraction. */
async function waitIdle() {
  if (args.noWait) return null;
  const t0 = Date.now();
  let idle = await idleFraction();
  while (idle !== null && idle < 0.85 && Date.now() - t0 < 90_000) idle = await idleFraction();
  return idle === null ? null : Math.round(idle * 100) / 100;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r3 = (x) => Math.round(x * 1000) / 1000;

// ---- PyTorch present? ----
let torchVersion = null;
let missing = null;
if (!existsSync(args.anchor)) missing = `the anchor script ${args.anchor} does not exist`;
else {
  try {
    torchVersion = execFileSync(args.python, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    missing =
      `PyTorch is not installed for ${args.python} (Debian: apt-get install -y python3-torch ` +
      'libopenblas0-pthread)';
  }
}
if (missing) {
  log(`${missing}: no ratios, our numbers only`);
  for (const n of names) process.stdout.write(`${JSON.stringify(ours(n))}\n`);
  process.exit(0);
}
log(`torch ${torchVersion} from ${args.python}; ${args.rounds} rounds per config, alternating`);

const table = [];
for (const config of names) {
  const ratios = { train: [], gen: [], score: [] };
  const mfu = [];
  const mfuBest = [];
  for (let round = 1; round <= args.rounds; round++) {
    // ABBA order: torch first in odd rounds, ours first in even rounds.
    const order = round % 2 ? ['torch', 'ours'] : ['ours', 'torch'];
    const got = {};
    const idle = {};
    for (const who of order) {
      idle[who] = await waitIdle();
      log(
        `${config} round ${round}: ${who}${idle[who] === null ? '' : ` (CPU ${Math.round(idle[who] * 100)}% idle)`}`,
      );
      got[who] = who === 'torch' ? torch(config) : ours(config);
    }
    // null where we have no like-for-like figure (qwen3-0.6b's train step: the anchor trains LoRA).
    const over = (a, b) => (a === null || b === null ? null : r3(a / b));
    const ratio = {
      train: over(got.ours.train_tok_s, got.torch.train_tok_s),
      gen: over(got.ours.gen_tok_s, got.torch.gen_tok_s),
      score: over(got.ours.score_tok_s, got.torch.score_tok_s),
    };
    for (const k of Object.keys(ratios)) ratios[k].push(ratio[k]);
    mfu.push(got.ours.train_mfu);
    mfuBest.push(got.ours.train_mfu_best);
    process.stdout.write(
      `${JSON.stringify({ config, round, idle_before: idle, torch: got.torch, ours: got.ours, ratio })}\n`,
    );
  }
  const med = {
    train: ratios.train.includes(null) ? null : r3(median(ratios.train)),
    gen: r3(median(ratios.gen)),
    score: r3(median(ratios.score)),
    train_mfu: mfu.includes(null) ? null : r3(median(mfu)),
    train_mfu_best: mfuBest.includes(null) ? null : r3(median(mfuBest)),
  };
  const targets = targetsFor(config);
  const met = Object.fromEntries(
    Object.entries(targets).map(([k, t]) => [k, med[k] === null ? null : med[k] >= t]),
  );
  const summary = {
    config,
    summary: true,
    rounds: args.rounds,
    median: med,
    per_round: ratios,
    targets,
    met,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  table.push([config, med, met]);
}

const cell = (v, ok) => (v === null ? 'n/a' : `${v.toFixed(2)}${ok ? '' : ' (miss)'}`).padEnd(12);
process.stderr.write(
  `\n${'config'.padEnd(14)}${'train ×'.padEnd(12)}${'gen ×'.padEnd(12)}${'score ×'.padEnd(12)}${'train MFU'.padEnd(12)}MFU (best)\n`,
);
process.stderr.write(
  `${''.padEnd(14)}${'(≥ 1.2)'.padEnd(12)}${'(≥ 3*)'.padEnd(12)}${'(≥ 1.2)'.padEnd(12)}(≥ 0.6)   *smollm2-135m: ≥ 2\n`,
);
for (const [config, m, ok] of table) {
  process.stderr.write(
    `${config.padEnd(14)}${cell(m.train, ok.train)}${cell(m.gen, ok.gen)}${cell(m.score, ok.score)}` +
      `${cell(m.train_mfu, ok.train_mfu)}${m.train_mfu_best === null ? 'n/a' : m.train_mfu_best.toFixed(2)}\n`,
  );
}
