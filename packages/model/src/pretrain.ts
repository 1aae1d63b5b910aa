/**
 * Pretraining and supervised fine-tuning: next-token cross-entropy, AdamW with warmup + cosine, held-out
 * perplexity, checkpoints and exact resume.
 */
import { join } from 'node:path';
import {
  constant,
  crossEntropy,
  div,
  maximum,
  mul,
  Program,
  Rng,
  reduceSum,
  type Tensor,
  Trainer,
} from '@rlhfkit/engine';
import { type EventSink, JobSwitch, RunLog } from '@rlhfkit/io';
import { CausalLM } from './causal-lm.js';
import type { GPTConfig } from './config.js';
import type { PretrainConfig } from './configs.js';
import type { Params } from './decoder.js';
import { forwardHidden, lmLogits } from './forward.js';
import type { LMBatch, LMData } from './lm-data.js';
import { paramShapes } from './param-shapes.js';
import { hasCheckpoint, loadCheckpoint, moments, saveCheckpoint } from './training-checkpoint.js';

export const pretrainDefaults: PretrainConfig = {
  steps: 1000,
  batchSize: 16,
  contextLength: 64,
  lr: 3e-3,
  warmupSteps: 50,
  minLr: 3e-4,
  weightDecay: 0.1,
  maxGradNorm: 1,
  stepsPerRun: 10,
  evalFraction: 0.05,
  evalEvery: 200,
  evalBatches: 8,
  checkpointEvery: 500,
  seed: 0,
};

/** Masked mean next-token cross-entropy: Σ m·CE / Σ m. */
export function lmLoss(p: Params, c: GPTConfig, b: Record<string, Tensor>): Tensor {
  const [B, T] = b['ids']!.shape as [number, number];
  const positions = constant(
    Array.from({ length: B * T }, (_, i) => i % T),
    [B, T],
    'int64',
  );
  const { hidden } = forwardHidden(p, c, { ids: b['ids']!, positions, mask: b['attnMask']! });
  const ce = crossEntropy(lmLogits(hidden, p, c), b['targets']!); // (B, T)
  const m = b['lossMask']!;
  return div(reduceSum(mul(ce, m)), maximum(reduceSum(m), 1));
}

const batchSpecs = (B: number, T: number) => ({
  ids: { shape: [B, T], dtype: 'int64' as const },
  targets: { shape: [B, T], dtype: 'int64' as const },
  lossMask: { shape: [B, T] },
  attnMask: { shape: [B, T] },
});

/** Stack K batches along a new leading axis (the Loop's per-step slices). */
function stack(batches: LMBatch[]): Record<string, { data: Float64Array | Float32Array }> {
  const cat = <A extends Float64Array | Float32Array>(k: keyof LMBatch, make: (n: number) => A) => {
    const n = batches[0]![k].length;
    const out = make(n * batches.length);
    for (const [i, b] of batches.entries()) out.set(b[k], i * n);
    return { data: out };
  };
  return {
    ids: cat('ids', (n) => new Float64Array(n)),
    targets: cat('targets', (n) => new Float64Array(n)),
    lossMask: cat('lossMask', (n) => new Float32Array(n)),
    attnMask: cat('attnMask', (n) => new Float32Array(n)),
  };
}

export interface PretrainOptions {
  /** Run directory for metrics and checkpoints; resumes from its checkpoint when one exists. */
  runDir?: string;
  evalData?: LMData;
  sink?: EventSink;
  control?: JobSwitch;
  /** Stage name in events. */
  stage?: string;
}

export interface PretrainResult {
  lm: CausalLM;
  evalLoss: number | null;
  /** exp(evalLoss). */
  perplexity: number | null;
  stopped: boolean;
}

/** Train lm on data. Returns the trained model (a new CausalLM; lm itself is not modified). */
export async function pretrain(
  lm0: CausalLM,
  data: LMData,
  cfg: PretrainConfig,
  o: PretrainOptions = {},
): Promise<PretrainResult> {
  const { batchSize: B, contextLength: T, stepsPerRun: K } = cfg;
  const c = lm0.config;
  if (T > c.nPositions) throw new Error(`contextLength ${T} exceeds the model's nPositions ${c.nPositions}`);
  if (cfg.steps % K !== 0) throw new Error(`steps (${cfg.steps}) must be a multiple of stepsPerRun (${K})`);
  const stage = o.stage ?? 'pretrain';
  const emit = o.sink ?? (() => {});
  const control = o.control ?? new JobSwitch();
  const log = o.runDir ? new RunLog(o.runDir) : null;
  const ckptDir = o.runDir ? join(o.runDir, 'checkpoint') : null;

  let lm = lm0.clone();
  let rng = new Rng(cfg.seed);
  let resumeState: {
    m: Record<string, Float32Array | Float64Array>;
    v: Record<string, Float32Array | Float64Array>;
    step: number;
  } | null = null;
  if (ckptDir && (await hasCheckpoint(ckptDir))) {
    const ck = await loadCheckpoint(ckptDir, lm0.runtime);
    lm = ck.lm;
    rng = new Rng(ck.state['rng'] as number);
    resumeState = { m: ck.m, v: ck.v, step: ck.state['step'] as number };
    emit({ type: 'log', level: 'info', message: `${stage}: resumed at step ${resumeState.step}` });
  }
  const shapes = paramShapes(c);
  const trainer = Trainer.create(
    {
      params: Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { shape: s }])),
      batch: batchSpecs(B, T),
      loss: (p, b) => ({ loss: lmLoss(p, c, b) }),
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: cfg.weightDecay },
      schedule: {
        kind: 'cosine',
        lr: cfg.lr,
        warmupSteps: cfg.warmupSteps,
        totalSteps: cfg.steps,
        minLr: cfg.minLr,
      },
      maxGradNorm: cfg.maxGradNorm,
      stepsPerRun: K,
    },
    lm.params,
    lm.runtime,
  );
  if (resumeState)
    trainer.state = { step: resumeState.step, params: { ...lm.params }, m: resumeState.m, v: resumeState.v };

  const evaluate = async (): Promise<number | null> => {
    if (!o.evalData) return null;
    const prog = lm.program(`lmloss:${B}:${T}`, () =>
      Program.compile(
        {
          ...Object.fromEntries(Object.entries(shapes).map(([k, s]) => [`p/${k}`, { shape: s }])),
          ...batchSpecs(B, T),
        },
        (x) => ({
          loss: lmLoss(Object.fromEntries(Object.keys(shapes).map((k) => [k, x[`p/${k}`]!])), c, x),
        }),
        lm.runtime,
      ),
    );
    const evalRng = new Rng(cfg.seed + 7919); // the same held-out batches every time
    let sum = 0;
    for (let i = 0; i < cfg.evalBatches; i++) {
      const b = o.evalData.batch(evalRng, B, T);
      const out = await prog.run({
        ...lm.paramFeeds(),
        ids: { data: b.ids },
        targets: { data: b.targets },
        lossMask: { data: b.lossMask },
        attnMask: { data: b.attnMask },
      });
      sum += Number(out['loss']!.data[0]);
    }
    return sum / cfg.evalBatches;
  };

  const checkpoint = async () => {
    if (!ckptDir) return;
    lm.params = trainer.state.params as Record<string, Float32Array>;
    await saveCheckpoint(ckptDir, {
      lm,
      ...moments(trainer.state),
      state: { step: trainer.state.step, rng: rng.state },
    });
    emit({ type: 'checkpoint', stage, step: trainer.state.step, path: ckptDir });
  };

  let evalLoss: number | null = null;
  let stopped = false;
  while (trainer.state.step < cfg.steps) {
    await control.gate((p) => emit({ type: 'status', status: p ? 'paused' : 'running' }));
    if (control.stopRequested) {
      stopped = true;
      break;
    }
    const batches = Array.from({ length: K }, () => data.batch(rng, B, T));
    const t0 = Date.now();
    const m = await trainer.run(stack(batches));
    const dt = (Date.now() - t0) / 1000;
    const step = trainer.state.step;
    const metrics = {
      loss: m['loss']!.at(-1)!,
      grad_norm: m['grad_norm']!.at(-1)!,
      lr: m['lr']!.at(-1)!,
      'perf/tokens_per_s': (K * B * T) / dt,
    };
    log?.append('metrics.jsonl', { step, ...metrics });
    emit({ type: 'metrics', stage, step, metrics });
    emit({ type: 'progress', stage, step, total: cfg.steps });
    if (!Number.isFinite(metrics.loss))
      throw new Error(`${stage}: loss became ${metrics.loss} at step ${step}; lower lr`);
    const due = (every: number) => every > 0 && Math.floor(step / every) !== Math.floor((step - K) / every);
    if (due(cfg.evalEvery) || step === cfg.steps) {
      lm.params = trainer.state.params as Record<string, Float32Array>;
      evalLoss = await evaluate();
      if (evalLoss !== null) {
        const ev = { eval_loss: evalLoss, eval_perplexity: Math.exp(evalLoss) };
        log?.append('eval.jsonl', { step, ...ev });
        emit({ type: 'metrics', stage, step, metrics: ev });
      }
    }
    if ((due(cfg.checkpointEvery) && step < cfg.steps) || control.takeSave()) await checkpoint();
  }
  await checkpoint();
  lm.params = trainer.state.params as Record<string, Float32Array>;
  return {
    lm: new CausalLM(c, lm.params, lm.heads, lm.runtime, lm.tokenizer),
    evalLoss,
    perplexity: evalLoss === null ? null : Math.exp(evalLoss),
    stopped,
  };
}
