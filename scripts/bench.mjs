// `pnpm bench`: the configs of ../shared/bench/torch_anchor.py, run through the packages' real code paths,
// one JSON line per config on stdout (progress on stderr). See scripts/BENCH.md.
//
//   train_tok_s   one PPO minibatch update: @rlhfkit/ppo's createUpdater (policy + value forward, clipped
//                 surrogate + clipped value loss, backward, grad-norm clip, AdamW) with ppoEpochs 1 and
//                 minibatchSize B, so one Trainer.run is one optimizer step over B rows × T tokens. As in
//                 torch_anchor.py, a row is T tokens and the loss covers the T − 1 predicted ones (prompt
//                 P = 1, response N = T − 1), and tokens/s counts B·T.
//   train_loop_tok_s  the same with ppoEpochs --loop-steps (default 4): all steps in one run (ONNX Loop), as a
//                 real PPO iteration goes; per optimizer step. Not the like-for-like figure.
//   gen_tok_s     CausalLM.generateWithLogProbs: batch B, prompt 16, KV cache, T − 16 sampled tokens in one
//                 session.run; counts B·(T − 16), as torch_anchor.py does.
//   gen_floor_tok_s  the same tokens/s if a decode step were only its weight products, in one Loop (no
//                 attention, norms, sampling or cache); gen_of_floor = gen_tok_s ÷ gen_floor_tok_s.
//   score_tok_s   RewardModel.scoreTokens: a no-grad forward of B × T tokens, score head at the last token.
//   matmul_gflops a 1024³ fp32 matmul through the engine, timed in the same process before and after.
//   train_mfu     model FLOPs/s of the train step ÷ matmul_gflops (medians); model FLOPs = 6 · (matmul weights:
//                 the blocks' projections, the tied LM head and the value head) · B·T + 12 · layers · B · T² · C.
//                 train_mfu_best: the fastest step against the fastest matmul (steadier on a busy machine).
//
// Flags: --config NAME|all (default all: tiny and small; the others, one at a time: gpt2-124m, smollm2-135m,
// qwen3-0.6b, whose train step is skipped (null) until LoRA exists: its full fine-tuning does not fit), --threads N (default 2), --repeats N (timed runs per metric,
// median; default 5), --loop-steps K (0: skip), --profile DIR (ORT per-node profiles and optimised graphs).
// `pnpm bench engine [flags]` runs the engine's own benchmark instead.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { configs, defaultConfigs, parseFlags } from './bench-args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2).filter((a) => a !== '--');

if (argv[0] === 'engine') {
  // The engine's bench builds itself (tsc -p tsconfig.bench.json) and prints its own JSON lines.
  try {
    execFileSync('npx', ['--yes', 'pnpm@10.34.9', '--filter', '@rlhfkit/engine', 'bench', ...argv.slice(1)], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch (err) {
    process.exit(typeof err.status === 'number' ? err.status : 1);
  }
  process.exit(0);
}

function usage(problem) {
  const text =
    'usage: pnpm bench [--config tiny|small|all] [--threads N] [--repeats N] [--loop-steps K] [--profile DIR]\n' +
    '       pnpm bench engine [engine bench flags]\n';
  if (problem) {
    process.stderr.write(`bench: ${problem}\n${text}`);
    process.exit(2);
  }
  process.stdout.write(text);
  process.exit(0);
}

const args = parseFlags(
  argv,
  {
    config: { type: 'string', default: 'all', choices: ['all', ...Object.keys(configs)] },
    threads: { type: 'string', default: 2, min: 1 },
    repeats: { type: 'string', default: 5, min: 1 },
    'loop-steps': { type: 'string', default: 4, min: 0 },
    profile: { type: 'string', default: null },
    help: { type: 'boolean', short: 'h', default: false },
  },
  usage,
);
if (args.help) usage(null);
if (args.profile) args.profile = resolve(args.profile);
const dist = (pkg, file = 'index.js') => new URL(`../packages/${pkg}/dist/${file}`, import.meta.url).href;
let engine, model, ppo, update, rm;
try {
  engine = await import(dist('engine'));
  model = await import(dist('model'));
  ppo = await import(dist('ppo'));
  // createUpdater and stackMinibatches are internal to @rlhfkit/ppo (runPPO uses them); the bench times them.
  update = await import(dist('ppo', 'update.js'));
  rm = await import(dist('reward-model'));
} catch (err) {
  process.stderr.write(
    `bench: the packages are not built (run \`pnpm bench\`, which builds them): ${err.message}\n`,
  );
  process.exit(1);
}
const { add, configureRuntime, loop, matmul, mul, Program, Rng, slice } = engine;
configureRuntime({ threads: args.threads });

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const round = (x, digits = 0) => Number(x.toFixed(digits));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Wall seconds of `repeats` consecutive calls, after `warmup` calls (the first compiles and loads). */
async function times(fn, repeats, warmup = 1) {
  for (let i = 0; i < warmup; i++) await fn();
  const ts = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return ts;
}

function runtimeFor(name) {
  if (!args.profile) return {};
  mkdirSync(args.profile, { recursive: true });
  return {
    profilePrefix: join(args.profile, name),
    optimizedModelPath: join(args.profile, `${name}.optimized.onnx`),
  };
}

/**
 * The floor under generation: a run of `steps` decode steps that do nothing but the step's weight products
 * (per layer every projection, then the LM head) for `rows` rows, in one ONNX Loop, with the weights fed once,
 * as generation does. Each product is W[out, in] @ xᵀ, the form generate.ts uses; a projection reads the last
 * product of its input width (o_proj the queries, down_proj the MLP's hidden layer). No attention, norms,
 * sampling or cache: tokens/s of this run bound what any decode loop built on these products can reach.
 */
function decodeFloorRun(c, rows, steps, seed = 3) {
  const C = c.nEmbd;
  const layers = Array.from({ length: c.nLayer }, (_, i) => model.layerProjections(c, i));
  const shapes = [...layers.flat().map(([, nIn, nOut]) => [nOut, nIn]), [c.vocabSize, C]];
  const specs = { h: { shape: [C, rows] } };
  shapes.forEach((sh, i) => {
    specs[`w${i}`] = { shape: sh };
  });
  const prog = Program.compile(specs, (t) => {
    const res = loop(steps, [t.h], (_iter, [h]) => {
      let w = 0;
      const byWidth = new Map([[C, h]]); // the latest (width, rows) value of each width
      for (const layer of layers) {
        for (const [, nIn, nOut] of layer) byWidth.set(nOut, matmul(t[`w${w++}`], byWidth.get(nIn)));
      }
      const y = byWidth.get(C);
      const head = matmul(t[`w${w}`], y); // (V, rows)
      return { carried: [add(y, mul(slice(head, [0, 0], [C, rows]), 1e-6))] };
    });
    return { corner: slice(res.carried[0], [0, 0], [1, 1]) };
  });
  const rng = new Rng(seed);
  const feeds = {};
  for (const [k, v] of Object.entries(specs)) {
    const n = v.shape[0] * v.shape[1];
    feeds[k] = { data: Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.05) };
  }
  return () => prog.run(feeds);
}

/** (m, k) @ (k, n) as a run function; a 1×1 corner comes back, so no output copy is timed. */
function matmulRun(m, k, n, seed = 1) {
  const prog = Program.compile({ a: { shape: [m, k] }, b: { shape: [k, n] } }, ({ a, b }) => ({
    corner: slice(matmul(a, b), [0, 0], [1, 1]),
  }));
  const rng = new Rng(seed);
  const fill = (len) => Float32Array.from({ length: len }, () => rng.next() * 2 - 1);
  const feeds = { a: { data: fill(m * k) }, b: { data: fill(k * n) } };
  return () => prog.run(feeds);
}

async function benchConfig(name, x) {
  const B = x.batch;
  const T = x.ctx;
  const PROMPT = 16;
  const llama = x.arch === 'llama';
  const c = model.modelConfig({
    family: llama ? 'llama' : 'gpt2',
    nLayer: x.layers,
    nHead: x.heads,
    nEmbd: x.dim,
    vocabSize: x.vocab,
    nPositions: T,
    bosTokenId: 0,
    eosTokenId: 0,
    ...(llama
      ? {
          nKVHead: x.kvHeads ?? x.heads,
          headDim: x.headDim ?? x.dim / x.heads,
          nInner: x.ffn ?? 4 * x.dim,
          tieWordEmbeddings: x.tied === true,
        }
      : {}),
  });
  const params = model.initParams(c, 0);
  const heads = model.initParams(c, 1, model.headShapes(c));
  const lm = (what) => new model.CausalLM(c, params, heads, runtimeFor(`${name}_${what}`));
  const rng = new Rng(42);
  const tokens = (n) => Array.from({ length: n }, () => 1 + rng.int(x.vocab - 1)); // no EOS (0) in inputs
  const normals = (n, scale = 1, shift = 0) =>
    Float32Array.from({ length: n }, () => shift + scale * rng.normal());

  // ---- matmul reference (timed before and after the model work) ----
  const mm = matmulRun(1024, 1024, 1024);
  const mmTimes = await times(mm, 2 * args.repeats, 3);

  // ---- train: one PPO minibatch update ----
  const P = 1;
  const N = T - 1;
  const rows = Array.from({ length: B }, () => tokens(T));
  const layout = ppo.layoutRollout(
    rows.map((r) => r.slice(0, P)),
    rows.map((r) => r.slice(P)),
    c.eosTokenId,
    P,
    N,
  );
  const data = {
    layout,
    respMask: layout.respMask,
    oldLogp: normals(B * N, 0.1, -5),
    refLogp: normals(B * N, 0.1, -5),
    advantages: normals(B * N),
    returns: normals(B * N),
    oldValues: normals(B * N),
  };
  const trainCfg = (epochs) =>
    ppo.ppoConfig({
      promptsPerIteration: B,
      groupSize: 1,
      minibatchSize: B,
      ppoEpochs: epochs,
      maxNewTokens: N,
    });
  // The anchor trains this config with LoRA adapters, which we do not have yet: no like-for-like train figure.
  const train = !x.lora;
  if (!train)
    log(`${name}: skipping the train step (the anchor trains LoRA rank ${x.lora}; no LoRA here yet)`);
  let trainTimes = [Number.NaN];
  if (train) {
    const cfg1 = trainCfg(1);
    log(`${name}: compiling the PPO update`);
    const updater = update.createUpdater(cfg1, lm('train'), P, N, 1);
    const batch1 = update.stackMinibatches(cfg1, data, new Rng(7));
    let lastLoss = Number.NaN;
    trainTimes = await times(async () => {
      lastLoss = (await updater.run(batch1))['loss'].at(-1);
    }, args.repeats);
    if (!Number.isFinite(lastLoss)) throw new Error(`${name}: the PPO loss is not finite (${lastLoss})`);
  }
  const trainS = median(trainTimes);

  let loop = null;
  if (train && args.loopSteps > 1) {
    const cfgK = trainCfg(args.loopSteps);
    log(`${name}: compiling the ${args.loopSteps}-step PPO update (ONNX Loop)`);
    const updaterK = update.createUpdater(cfgK, lm(`train_loop${args.loopSteps}`), P, N, 1);
    const batchK = update.stackMinibatches(cfgK, data, new Rng(7));
    const ts = await times(() => updaterK.run(batchK), Math.max(3, Math.ceil(args.repeats / 2)));
    loop = median(ts) / args.loopSteps;
  }

  // ---- generation: batch B, prompt 16, T − 16 new tokens, KV cache, sampling ----
  const genLM = lm('gen');
  const prompts = Array.from({ length: B }, () => tokens(PROMPT));
  let seed = 0;
  log(`${name}: compiling generation`);
  const genTimes = await times(
    () => genLM.generateWithLogProbs(prompts, { maxNewTokens: T - PROMPT, seed: seed++ }),
    args.repeats,
  );
  const genS = median(genTimes);
  const floorS = median(await times(decodeFloorRun(c, B, T - PROMPT), args.repeats));

  // ---- scoring: no-grad forward, score head at the last token ----
  const scoreLM = new model.CausalLM(
    c,
    params,
    { 'score.weight': heads['score.weight'] },
    runtimeFor(`${name}_score`),
  );
  const reward = new rm.RewardModel(scoreLM, null); // the tokenizer is only used for text items
  const seqs = Array.from({ length: B }, () => tokens(T));
  log(`${name}: compiling scoring`);
  const scoreTimes = await times(() => reward.scoreTokens(seqs, B), args.repeats);
  const scoreS = median(scoreTimes);

  mmTimes.push(...(await times(mm, 2 * args.repeats, 3)));
  const matmulGflops = (2 * 1024 ** 3) / median(mmTimes) / 1e9;
  const matmulBest = (2 * 1024 ** 3) / Math.min(...mmTimes) / 1e9;

  const C = x.dim;
  const nParams = Object.values(params).reduce((a, p) => a + p.length, 0) + C + 1; // + value head
  const projections = Array.from({ length: c.nLayer }, (_, i) => model.layerProjections(c, i)).flat();
  const matmulWeights = projections.reduce((a, [, nIn, nOut]) => a + nIn * nOut, 0) + x.vocab * C + C;
  const attnWidth = c.nHead * c.headDim;
  const modelFlops = 6 * matmulWeights * B * T + 12 * x.layers * B * T * T * attnWidth;
  const trainGflops = modelFlops / trainS / 1e9;
  const orNull = (v, digits = 0) => (Number.isFinite(v) ? round(v, digits) : null);
  const line = {
    config: name,
    params: nParams,
    B,
    T,
    threads: args.threads,
    train_tok_s: orNull((B * T) / trainS),
    gen_tok_s: round((B * (T - PROMPT)) / genS),
    score_tok_s: round((B * T) / scoreS),
    matmul_gflops: round(matmulGflops, 1),
    train_mfu: orNull(trainGflops / matmulGflops, 3),
    train_step_s: orNull(trainS, 4),
    train_gflops: orNull(trainGflops, 1),
    // Fastest step against fastest matmul: less sensitive to other jobs on a shared machine.
    matmul_gflops_best: round(matmulBest, 1),
    train_mfu_best: orNull(modelFlops / Math.min(...trainTimes) / 1e9 / matmulBest, 3),
    gen_s: round(genS, 4),
    // The same tokens if a decode step were only its weight products (see decodeFloorRun), and our share of it.
    gen_floor_tok_s: round((B * (T - PROMPT)) / floorS),
    gen_of_floor: round(floorS / genS, 3),
    score_s: round(scoreS, 4),
  };
  if (loop !== null) {
    line.train_loop_steps = args.loopSteps;
    line.train_loop_tok_s = round((B * T) / loop);
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const names = args.config === 'all' ? defaultConfigs : [args.config];
for (const n of names) await benchConfig(n, configs[n]);
if (args.profile) log(`profiles and optimised graphs are written to ${args.profile} at exit`);
