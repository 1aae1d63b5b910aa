/**
 * The engine benchmark (`pnpm bench engine`): one JSON line per measurement on stdout.
 *   1. matmul GFLOP/s at a few shapes (the reference rate of this machine and thread count);
 *   2. an MLP training step whose matmuls dominate (forward, backward and AdamW in one Trainer run), its
 *      GFLOP/s and its ratio to the matmul rate at the model's shape, timed around it;
 *   3. the same for a pre-LN transformer block (B 16, T 128, C 256, 4 heads, GELU MLP of width 4C).
 * Each figure is the median of --runs timed runs after warm-up runs (ratio_best: fastest against fastest). GFLOP/s of a train step count the
 * matmul FLOPs the step executes (2 per multiply-add); `model_gflops_6pb` also gives the 6·params·batch
 * convention (plus 12·B·T²·C for attention), which counts a backward matmul the MLP's first layer skips:
 * its input is data, so no input gradient is computed there.
 *
 * Flags: --threads N (intra-op threads, default 2); --runs N (timed runs, default 5); --steps K,K (optimizer
 * steps per Trainer run, through ONNX Loop, one line each; default 1,4: with 4 the copy of the new params
 * and moments back to JS is paid once per 4 steps); --quick (small shapes: a smoke test);
 * --profile DIR (write ORT's per-node profile and its optimised graph of each train step into DIR).
 * Not a test: the numbers depend on the machine and on what else it is running.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  add,
  causalAttention,
  configureRuntime,
  type FloatArray,
  gelu,
  layerNorm,
  matmul,
  mul,
  Program,
  Rng,
  type RuntimeOptions,
  reduceMean,
  reshape,
  slice,
  sub,
  type Tensor,
  Trainer,
  tanh,
  transpose,
} from '../src/index.js';

interface Args {
  threads: number;
  runs: number;
  steps: number[];
  quick: boolean;
  profile: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { threads: 2, runs: 5, steps: [1, 4], quick: false, profile: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string, min: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${a}: expected an integer >= ${min}, got '${v}'`);
      return n;
    };
    if (a === '--threads') args.threads = int(next(), 1);
    else if (a.startsWith('--threads=')) args.threads = int(a.slice(10), 1);
    else if (a === '--runs') args.runs = int(next(), 5);
    else if (a === '--steps')
      args.steps = next()
        .split(',')
        .map((v) => int(v, 1));
    else if (a === '--quick') args.quick = true;
    else if (a === '--profile') args.profile = next();
    else if (a !== '--')
      throw new Error(`unknown flag '${a}' (flags: --threads N --runs N --steps K,K --quick --profile DIR)`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
configureRuntime({ threads: args.threads });

// ---- helpers ----

const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall times of fn in ms, after warm-up calls (the first builds the session). */
async function samples(fn: () => Promise<unknown>, runs: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Seeded uniform values in [-scale, scale). */
function uniform(n: number, scale: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => scale * (r.next() * 2 - 1));
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Diagnostics options for one train step's session, when --profile is given. */
function profileOptions(name: string): RuntimeOptions {
  if (!args.profile) return {};
  mkdirSync(args.profile, { recursive: true });
  return {
    profilePrefix: join(args.profile, name),
    optimizedModelPath: join(args.profile, `${name}.optimized.onnx`),
  };
}

// ---- 1. matmul ----

/** One (m, k) @ (k, n) product as a run function. Only a 1×1 corner comes back: no output copy is timed. */
function matmulRun(m: number, k: number, n: number): () => Promise<unknown> {
  const program = Program.compile({ a: { shape: [m, k] }, b: { shape: [k, n] } }, ({ a, b }) => ({
    corner: slice(matmul(a!, b!), [0, 0], [1, 1]), // (1, 1)
  }));
  const feeds = { a: { data: uniform(m * k, 1, 1) }, b: { data: uniform(k * n, 1, 2) } };
  return () => program.run(feeds);
}

/** GFLOP/s of one (m, k) @ (k, n) product. */
async function benchMatmul(m: number, k: number, n: number): Promise<void> {
  const ms = median(await samples(matmulRun(m, k, n), Math.max(args.runs, 15), 3));
  const gflops = (2 * m * k * n) / ms / 1e6;
  emit({ bench: 'matmul', m, k, n, threads: args.threads, gflops: round(gflops), ms: round(ms, 2) });
}

// ---- train steps through Trainer ----

interface TrainBench {
  name: string;
  params: Record<string, readonly number[]>;
  batch: Record<string, readonly number[]>;
  loss: (p: Record<string, Tensor>, b: Record<string, Tensor>) => Tensor;
  /** Matmul FLOPs one step executes (forward and backward). */
  flops: number;
  /** 6·params·batch (+ attention), the usual model-FLOPs convention. */
  modelFlops: number;
  extra: Record<string, unknown>;
}

/**
 * Time Trainer.run (k optimizer steps per run) and report per-step GFLOP/s against the matmul rate at the
 * model's main shape, timed just before and just after, so that the ratio compares like with like.
 */
async function benchTrainStep(b: TrainBench, k: number, [m, kk, n]: [number, number, number]): Promise<void> {
  const names = Object.keys(b.params);
  const init: Record<string, FloatArray> = {};
  names.forEach((n, i) => {
    const s = b.params[n]!;
    init[n] =
      s.length === 1 ? new Float32Array(s[0]!).fill(n.endsWith('g') ? 1 : 0) : uniform(size(s), 0.02, 10 + i);
  });
  const trainer = Trainer.create(
    {
      params: Object.fromEntries(names.map((n) => [n, { shape: b.params[n]! }])),
      batch: Object.fromEntries(Object.entries(b.batch).map(([n, s]) => [n, { shape: s }])),
      loss: (p, batch) => ({ loss: b.loss(p, batch) }),
      optimizer: { kind: 'adamw', weightDecay: 0.01 },
      schedule: { kind: 'constant', lr: 1e-4 },
      stepsPerRun: k,
    },
    init,
    profileOptions(`${b.name}_k${k}`),
  );
  const feeds = Object.fromEntries(
    Object.entries(b.batch).map(([n, s], i) => [n, { data: uniform(k * size(s), 1, 100 + i) }]),
  );
  let loss = Number.NaN;
  const step = async () => {
    loss = (await trainer.run(feeds))['loss']!.at(-1)!;
  };
  const reference = matmulRun(m, kk, n);
  // The reference matmul is timed in a block before and a block after the step, not run for run: each
  // session has its own ORT thread pool, whose threads spin for a while after a run and would slow the
  // other session's next run on a 2-core machine.
  const before = await samples(reference, 2 * args.runs, 3);
  const stepTimes = await samples(step, args.runs, 2);
  const after = await samples(reference, 2 * args.runs, 3);
  const matmulTimes = [...before, ...after];
  if (!Number.isFinite(loss)) throw new Error(`${b.name}: the loss is not finite (${loss})`);
  const ms = median(stepTimes) / k;
  const gflops = b.flops / ms / 1e6;
  const matmulGflops = (2 * m * kk * n) / median(matmulTimes) / 1e6;
  // Best against best: the least disturbed runs, a steadier ratio when other processes share the cores.
  const ratioBest = Math.min(...matmulTimes) / (Math.min(...stepTimes) / k) / ((2 * m * kk * n) / b.flops);
  emit({
    bench: b.name,
    ...b.extra,
    params: names.reduce((a, n) => a + size(b.params[n]!), 0),
    steps_per_run: k,
    threads: args.threads,
    ms: round(ms, 2),
    gflops: round(gflops),
    model_gflops_6pb: round(b.modelFlops / ms / 1e6),
    matmul_gflops_same_run: round(matmulGflops),
    matmul_shape: `${m}x${kk}x${n}`,
    ratio: round(gflops / matmulGflops, 3),
    ratio_best: round(ratioBest, 3),
  });
}

// ---- 2. an MLP whose matmuls dominate ----

function mlp(batch: number, width: number): TrainBench {
  const perLayer = width * width + width;
  return {
    name: 'mlp_train_step',
    params: { w1: [width, width], b1: [width], w2: [width, width], b2: [width] },
    batch: { x: [batch, width], y: [batch, width] },
    loss: (p, b) => {
      const h = tanh(add(matmul(b['x']!, p['w1']!), p['b1']!)); // (B, W)
      const out = add(matmul(h, p['w2']!), p['b2']!); // (B, W)
      const err = sub(out, b['y']!); // (B, W)
      return reduceMean(mul(err, err));
    },
    // Forward 2 products; backward dW2, dH and dW1 (x is data: no dX). 2 FLOPs per multiply-add.
    flops: 5 * 2 * batch * width * width,
    modelFlops: 6 * 2 * perLayer * batch,
    extra: { batch, widths: [width, width, width] },
  };
}

// ---- 3. a transformer block ----

function block(B: number, T: number, C: number, H: number): TrainBench {
  const D = C / H;
  const heads = (x: Tensor) => transpose(reshape(x, [B, T, H, D]), [0, 2, 1, 3]); // (B, H, T, D)
  const part = (x: Tensor, i: number) => slice(x, [i * C], [(i + 1) * C], [2]); // (B, T, C)
  const params = {
    ln1g: [C],
    ln1b: [C],
    wqkv: [C, 3 * C],
    bqkv: [3 * C],
    wo: [C, C],
    bo: [C],
    ln2g: [C],
    ln2b: [C],
    wfc: [C, 4 * C],
    bfc: [4 * C],
    wproj: [4 * C, C],
    bproj: [C],
  };
  const n = Object.values(params).reduce((a, s) => a + size(s), 0);
  const tokens = B * T;
  const attention = 12 * B * T * T * C; // QKᵀ and AV: forward 4·B·T²·C, backward twice that
  return {
    name: 'attention_block_train_step',
    params,
    batch: { x: [B, T, C], y: [B, T, C] },
    loss: (p, b) => {
      const x = b['x']!; // (B, T, C)
      const qkv = add(matmul(layerNorm(x, p['ln1g']!, p['ln1b']!), p['wqkv']!), p['bqkv']!); // (B, T, 3C)
      const att = causalAttention(heads(part(qkv, 0)), heads(part(qkv, 1)), heads(part(qkv, 2))); // (B, H, T, D)
      const merged = reshape(transpose(att, [0, 2, 1, 3]), [B, T, C]); // (B, T, C)
      const x1 = add(x, add(matmul(merged, p['wo']!), p['bo']!)); // (B, T, C)
      const fc = gelu(add(matmul(layerNorm(x1, p['ln2g']!, p['ln2b']!), p['wfc']!), p['bfc']!)); // (B, T, 4C)
      const x2 = add(x1, add(matmul(fc, p['wproj']!), p['bproj']!)); // (B, T, C)
      const err = sub(x2, b['y']!);
      return reduceMean(mul(err, err));
    },
    flops: 6 * 12 * C * C * tokens + attention,
    modelFlops: 6 * n * tokens + attention,
    extra: { B, T, C, heads: H },
  };
}

// ---- run ----

const q = args.quick;
const shapes: Array<[number, number, number]> = q
  ? [
      [128, 128, 128],
      [256, 64, 128],
    ]
  : [
      [512, 512, 512],
      [1024, 1024, 1024],
      [2048, 256, 1024],
      [2048, 1024, 256],
    ];
for (const [m, k, n] of shapes) await benchMatmul(m, k, n);

const [batch, width] = q ? [64, 64] : [2048, 1024];
for (const k of args.steps) await benchTrainStep(mlp(batch, width), k, [batch, width, width]);

const [B, T, C, H] = q ? [2, 16, 32, 4] : [16, 128, 256, 4];
for (const k of args.steps) await benchTrainStep(block(B, T, C, H), k, [B * T, C, 4 * C]);
