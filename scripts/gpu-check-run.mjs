// The GPU check (scripts/GPU.md): runs the packages on --device and on the CPU with the same inputs and prints
// one JSON line of results; with --out FILE it also writes that line to FILE after every phase, so a run cut
// short still leaves what it measured (gpu-check.sh points it into $OUT on the device machine). Phases:
//   detect     the GPU as nvidia-smi and Vulkan (gpu-check-vulkan.py) see it, and whether a session opens on
//              each device (the error that says why not)
//   parity     one PPO train step (policy + value loss, backward, grad clip, AdamW) on the CPU and on --device:
//              relative difference of the loss and grad norm (|a − b| / |b|) and of every updated parameter
//              (max |a − b| / max |b| over the tensor); passes at <= 1e-3
//   greedy     greedy generation (temperature 0) on both: the same tokens
//   placement  which operators ONNX Runtime runs on the CPU beside --device (gpu-check-placement.mjs)
//   ppo        --iterations PPO iterations on --device, seconds per phase (generate / score / train)
//   ppoCpu     the same on the CPU, and the CPU's seconds over the device's
// Flags: --device webgpu|cuda|cpu (webgpu), --config tiny|dry (tiny), --iterations N (5), --threads N (CPU threads
// for both; default all cores), --out FILE. Exit 0: every check passed; 1: one failed (see "failures"); 2: bad
// flags.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './bench-args.mjs';
import { summarize } from './gpu-check-placement.mjs';
import { configs, loadPackages, makeSetup, ortVersion, packed, updateStep } from './gpu-check-setup.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseFlags(
  process.argv.slice(2),
  {
    device: { type: 'string', default: 'webgpu', choices: ['webgpu', 'cuda', 'cpu'] },
    config: { type: 'string', default: 'tiny', choices: Object.keys(configs) },
    iterations: { type: 'string', default: 5, min: 1 },
    threads: { type: 'string', default: availableParallelism(), min: 1 },
    out: { type: 'string', default: null },
  },
  (problem) => {
    process.stderr.write(`gpu-check: ${problem}\n`);
    process.exit(2);
  },
);
const x = configs[args.config];
const log = (msg) => process.stderr.write(`gpu-check: ${msg}\n`);
const round = (v, d = 4) => (Number.isFinite(v) ? Number(v.toPrecision(d)) : v);
const seconds = (t0) => round((performance.now() - t0) / 1000);
const TOL = 1e-3;

const pk = await loadPackages();
const result = {
  check: 'gpu-check',
  device: args.device,
  config: args.config,
  iterations: args.iterations,
  threads: args.threads,
  packed,
  node: process.version,
  ort: ortVersion(),
  host: `${process.platform}/${process.arch}, ${availableParallelism()} cores`,
  started: new Date().toISOString(),
  failures: [],
  warnings: [],
};
const outFile = args.out;
const save = () => outFile && writeFileSync(outFile, `${JSON.stringify(result)}\n`);
const fail = (what) => result.failures.push(what);

// Every process warning the runtime emits (the CPU fallbacks) is kept with the phase it happened in.
let phase = 'setup';
process.on('warning', (w) => {
  if (w.code?.startsWith('RLHFKIT_')) result.warnings.push({ phase, code: w.code, message: w.message });
});

async function run(name, fn) {
  phase = name;
  const t0 = performance.now();
  log(`${name}…`);
  try {
    result[name] = { ...(await fn()), seconds: seconds(t0) };
  } catch (err) {
    result[name] = { error: err instanceof Error ? err.message : String(err), seconds: seconds(t0) };
    fail(`${name}: ${result[name].error.split('\n')[0]}`);
  }
  save();
}

const cpu = { device: 'cpu', threads: args.threads };
const dev = { device: args.device, threads: args.threads, allowCpuFallback: true };
const s = makeSetup(pk, x);

await run('detect', async () => {
  const tryRun = (cmd, argv) => {
    try {
      return execFileSync(cmd, argv, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      }).trim();
    } catch (err) {
      return { error: (err.stderr || err.message || String(err)).toString().trim().slice(0, 500) };
    }
  };
  const nvidiaSmi = tryRun('nvidia-smi', [
    '--query-gpu=name,driver_version,memory.total',
    '--format=csv,noheader',
  ]);
  const vulkanText = tryRun('python3', [join(here, 'gpu-check-vulkan.py')]);
  const vulkan = typeof vulkanText === 'string' ? JSON.parse(vulkanText) : vulkanText;
  const { Program, add, getSession } = pk.engine;
  const probe = Program.compile({ a: { shape: [4] } }, ({ a }) => ({ y: add(a, a) }));
  const sessions = {};
  for (const device of ['webgpu', 'cuda']) {
    const t0 = performance.now();
    try {
      const sess = await getSession(probe.model, { device });
      sessions[device] = { opens: true, runsOn: sess.device, seconds: seconds(t0) };
    } catch (err) {
      sessions[device] = { opens: false, kind: err.kind ?? null, error: err.message };
    }
  }
  const env = Object.fromEntries(
    ['VK_DRIVER_FILES', 'LD_LIBRARY_PATH'].map((k) => [k, process.env[k] ?? null]),
  );
  return { nvidiaSmi, vulkan, sessions, env };
});
if (args.device !== 'cpu' && !result.detect.sessions?.[args.device]?.opens) {
  // No device: the other phases would only measure the CPU twice.
  fail(`detect: no session opens on ${args.device} (see detect.sessions)`);
  result.skipped = 'the device does not open; nothing else was run';
  finish();
}

/** Tensor-wise relative difference: max |a − b| / max |b| (a scalar: |a − b| / |b|). */
function relDiff(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

await run('parity', async () => {
  const step = updateStep(pk, s, x);
  const out = {};
  for (const [name, runtime] of [
    ['cpu', cpu],
    ['device', dev],
  ]) {
    const u = step.updater(runtime);
    const t0 = performance.now();
    const m = await u.run(step.batch);
    out[name] = { metrics: m, params: u.state.params, firstRunSeconds: seconds(t0) };
  }
  const metric = (side, k) => out[side].metrics[k].at(-1);
  const rel = (k) => round(relDiff([metric('device', k)], [metric('cpu', k)]));
  let worst = { tensor: null, rel: 0 };
  for (const [k, ref] of Object.entries(out.cpu.params)) {
    const r = relDiff(out.device.params[k], ref);
    if (r >= worst.rel) worst = { tensor: k, rel: round(r) };
  }
  const res = {
    loss: { cpu: metric('cpu', 'loss'), device: metric('device', 'loss') },
    lossRel: rel('loss'),
    gradNormRel: rel('grad_norm'),
    paramsRel: worst.rel,
    worstTensor: worst.tensor,
    firstRunSeconds: { cpu: out.cpu.firstRunSeconds, device: out.device.firstRunSeconds },
  };
  res.passed = res.lossRel <= TOL && res.gradNormRel <= TOL && res.paramsRel <= TOL;
  if (!res.passed) fail(`parity: relative differences above ${TOL}`);
  return res;
});

await run('greedy', async () => {
  const gen = (runtime) =>
    s.greedyLM(runtime).generate(s.promptIds, { maxNewTokens: x.greedy, temperature: 0 });
  const a = await gen(cpu);
  const b = await gen(dev);
  const equalRows = a.filter((row, i) => row.join() === b[i].join()).length;
  const firstDiff = a.findIndex((row, i) => row.join() !== b[i].join());
  const res = { rows: a.length, tokens: x.greedy, equalRows, identical: equalRows === a.length };
  if (firstDiff >= 0) {
    const pos = a[firstDiff].findIndex((t, j) => t !== b[firstDiff][j]);
    res.firstDifference = {
      row: firstDiff,
      position: pos,
      cpu: a[firstDiff][pos],
      device: b[firstDiff][pos],
    };
    fail('greedy: generations differ');
  }
  return res;
});

await run('placement', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-check-profiles-'));
  const script = join(here, 'gpu-check-placement.mjs');
  const argv = [script, dir, args.device, args.config, String(args.threads)];
  const child = execFileSync(process.execPath, argv, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { ...JSON.parse(child), programs: summarize(dir) };
});

async function ppoTimes(runtime) {
  const { history } = await pk.ppo.runPPO({
    config: s.ppoConfig(args.iterations),
    policy: s.policy(runtime),
    scorer: pk.ppo.rewardModelScorer(s.rewardModel(runtime)),
    prompts: s.prompts,
  });
  const col = (k) => history.map((h) => round(h[`timing/${k}_s`]));
  const phases = { generate: col('generate'), score: col('score'), train: col('train') };
  // The first iteration compiles and loads every program; the median of the rest is the steady state.
  const steady = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, round(median(v.slice(1)))]));
  return { perIteration: phases, steady, scores: history.map((h) => round(h['objective/scores'])) };
}
const median = (v) => {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await run('ppo', () => ppoTimes(dev));
// The same on the CPU, for the ratio; a phase of its own, so that a run cut short keeps the device's figures.
if (args.device !== 'cpu' && result.ppo.steady)
  await run('ppoCpu', async () => {
    const onCpu = await ppoTimes(cpu);
    const ratio = (k) => round(onCpu.steady[k] / result.ppo.steady[k], 3);
    return {
      ...onCpu,
      cpuOverDevice: { generate: ratio('generate'), score: ratio('score'), train: ratio('train') },
    };
  });

finish();

function finish() {
  result.passed = result.failures.length === 0;
  result.finished = new Date().toISOString();
  save();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  log(result.passed ? 'passed' : `failed: ${result.failures.join('; ')}`);
  process.exit(result.passed ? 0 : 1);
}
