/**
 * Offline preference optimisation (DPO family, KTO) of a token policy, in numbered steps:
 *   1. encode the rows  2. reference log-probs, once per dataset with the frozen starting weights (saved in the
 *   run directory, so a resumed run reuses them)  3. epochs of shuffled batches through the engine's Trainer
 *   4. held-out metrics after each epoch  5. checkpoints with exact resume, the final policy in policy/
 * Metric names are TRL's (objective.ts); held-out ones carry the eval_ prefix.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluate, Rng, Trainer } from '@rlhfkit/engine';
import { type EventSink, JobSwitch, RunLog } from '@rlhfkit/io';
import {
  type CausalLM,
  hasCheckpoint,
  loadCheckpoint,
  moments,
  paramShapes,
  readSafetensors,
  saveCheckpoint,
  writeSafetensors,
} from '@rlhfkit/model';
import type { PreferenceRecord } from '@rlhfkit/reward-model';
import type { DPOConfig } from './config.js';
import { encodeRows, type Item, layoutRows, type UnpairedRecord } from './data.js';
import { hostLogps, rowSpecs, sequenceLogps } from './logps.js';
import { preferenceObjective } from './objective.js';

export type PreferenceRows = readonly (PreferenceRecord | UnpairedRecord)[];

export interface DPOJob {
  config: DPOConfig;
  /** The policy to train (with its tokenizer); it is not modified. */
  policy: CausalLM;
  /** Training rows: pairs, or for kto unpaired rows (pairs are unpaired, as TRL's unpair_preference_dataset). */
  data: PreferenceRows;
  /** Held-out rows for eval_ metrics after each epoch. */
  evalData?: PreferenceRows;
  /** The frozen reference; the starting policy when omitted. */
  reference?: CausalLM;
  /** Run directory: metrics.jsonl, eval.jsonl, reference-logps.safetensors, checkpoint/, policy/. Resumes. */
  runDir?: string;
  sink?: EventSink;
  control?: JobSwitch;
  stage?: string;
}

export interface DPOResult {
  policy: CausalLM;
  history: Record<string, number>[];
  /** The last held-out metrics (eval_ prefix), or null without evalData. */
  eval: Record<string, number> | null;
  stopped: boolean;
}

export async function runDPO(job: DPOJob): Promise<DPOResult> {
  const cfg = job.config;
  const stage = job.stage ?? 'dpo';
  const emit = job.sink ?? (() => {});
  const control = job.control ?? new JobSwitch();
  const tok = job.policy.tokenizer;
  if (!tok) throw new Error(`${stage}: the policy has no tokenizer`);
  const c = job.policy.config;
  const maxLength = cfg.maxLength ?? c.nPositions;
  if (maxLength > c.nPositions)
    throw new Error(`${stage}: maxLength ${maxLength} exceeds the model's context ${c.nPositions}; lower it`);
  const B = cfg.batchSize;
  const kto = cfg.lossType === 'kto';

  // 1. Encode.
  const enc = (rows: PreferenceRows, what: string): Item[] => {
    const e = encodeRows(tok, rows, { kto, maxLength, batchSize: B });
    if (e.dropped.length) {
      const lines = e.dropped.slice(0, 5).join(', ');
      emit({
        type: 'log',
        level: 'warn',
        message: `${stage}: dropped ${e.dropped.length} ${what} rows whose prompt fills maxLength ${maxLength} (lines ${lines}${e.dropped.length > 5 ? ', ...' : ''})`,
      });
    }
    return e.items;
  };
  const train = enc(job.data, 'training');
  const held = job.evalData?.length ? enc(job.evalData, 'held-out') : [];
  if (train.length < B) {
    throw new Error(
      `${stage}: ${train.length} training ${kto ? 'rows' : 'pairs'}, fewer than batchSize ${B}`,
    );
  }
  const longest = Math.max(...[...train, ...held].flatMap((it) => [it.a.ids.length, it.b.ids.length]));
  const T = Math.min(Math.ceil(longest / 8) * 8, maxLength);
  const log = job.runDir ? new RunLog(job.runDir) : null;
  const ckptDir = job.runDir ? join(job.runDir, 'checkpoint') : null;
  if (job.runDir) await mkdir(job.runDir, { recursive: true });

  // 2. Reference log-probs, once per dataset: a (2n) vector per split, [a rows, b rows].
  const refs = await referenceLogps(job, cfg, { train, eval: held }, T, B);

  // 3. The trainer, resumed from a checkpoint when there is one.
  let lm = job.policy.clone();
  let step0 = 0;
  let resumed: { m: Record<string, Float32Array>; v: Record<string, Float32Array> } | null = null;
  if (ckptDir && (await hasCheckpoint(ckptDir))) {
    const ck = await loadCheckpoint(ckptDir, job.policy.runtime);
    lm = ck.lm;
    step0 = ck.state['step'] as number;
    resumed = { m: ck.m as Record<string, Float32Array>, v: ck.v as Record<string, Float32Array> };
    emit({ type: 'log', level: 'info', message: `${stage}: resumed at step ${step0}` });
  }
  const stepsPerEpoch = Math.floor(train.length / B);
  const total = stepsPerEpoch * cfg.epochs;
  const shapes = paramShapes(c);
  const trainer = Trainer.create(
    {
      params: Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { shape: s }])),
      batch: { ...rowSpecs(2 * B, T), ref: { shape: [2 * B] }, labels: { shape: [B] } },
      loss: (p, b) => {
        const s = sequenceLogps(p, c, b);
        return preferenceObjective(cfg, s.logps, s.counts, b['ref']!, b['labels']!);
      },
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay },
      // 'constant' after a warmup is a cosine whose floor is lr itself.
      schedule:
        cfg.lrSchedule === 'constant' && cfg.warmupSteps === 0
          ? { kind: 'constant', lr: cfg.lr }
          : {
              kind: 'cosine',
              lr: cfg.lr,
              warmupSteps: cfg.warmupSteps,
              totalSteps: total,
              minLr: cfg.lrSchedule === 'cosine' ? cfg.lr / 10 : cfg.lr,
            },
      maxGradNorm: cfg.maxGradNorm,
    },
    lm.params,
    lm.runtime,
  );
  if (resumed) trainer.state = { step: step0, params: { ...lm.params }, m: resumed.m, v: resumed.v };

  const sync = () => {
    lm.params = trainer.state.params as Record<string, Float32Array>;
  };
  const checkpoint = async () => {
    if (!ckptDir) return;
    sync();
    await saveCheckpoint(ckptDir, { lm, ...moments(trainer.state), state: { step: trainer.state.step } });
    emit({ type: 'checkpoint', stage, step: trainer.state.step, path: ckptDir });
  };
  const order = (epoch: number) => new Rng(cfg.seed * 1000 + epoch).shuffle([...train.keys()]);

  const history: Record<string, number>[] = [];
  let evalMetrics: Record<string, number> | null = null;
  let stopped = false;
  let perm = order(Math.floor(trainer.state.step / stepsPerEpoch));
  while (trainer.state.step < total) {
    await control.gate((p) => emit({ type: 'status', status: p ? 'paused' : 'running' }));
    if (control.stopRequested) {
      stopped = true;
      break;
    }
    const s0 = trainer.state.step;
    const epoch = Math.floor(s0 / stepsPerEpoch);
    const at = (s0 % stepsPerEpoch) * B;
    if (at === 0) perm = order(epoch);
    const idx = perm.slice(at, at + B);
    const items = idx.map((i) => train[i]!);
    const rows = layoutRows([...items.map((it) => it.a), ...items.map((it) => it.b)], T, c.eosTokenId);
    const t0 = Date.now();
    const m = await trainer.run({
      ids: { data: rows.ids },
      attn: { data: rows.attn },
      targets: { data: rows.targets },
      lossMask: { data: rows.lossMask },
      ref: { data: [...idx.map((i) => refs.train[i]!), ...idx.map((i) => refs.train[train.length + i]!)] },
      labels: { data: items.map((it) => it.label) },
    });
    const step = trainer.state.step;
    const metrics: Record<string, number> = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v[0]!]));
    metrics['epoch'] = step / stepsPerEpoch;
    metrics['perf/tokens_per_s'] = (2 * B * T) / Math.max((Date.now() - t0) / 1000, 1e-3);
    if (!Number.isFinite(metrics['loss']!))
      throw new Error(`${stage}: loss became ${metrics['loss']} at step ${step}; lower lr`);
    history.push(metrics);
    log?.append('metrics.jsonl', { step, ...metrics });
    emit({ type: 'metrics', stage, step, metrics });
    emit({ type: 'progress', stage, step, total });
    // 4. Held-out metrics at each epoch's end.
    if (step % stepsPerEpoch === 0 && held.length) {
      sync();
      evalMetrics = await evaluateHeld(cfg, lm, held, refs.eval, T, B);
      log?.append('eval.jsonl', { step, ...evalMetrics });
      emit({ type: 'metrics', stage, step, metrics: evalMetrics });
    }
    // 5. Checkpoints.
    const due = cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0;
    if ((due && step < total) || control.takeSave()) await checkpoint();
  }
  await checkpoint();
  sync();
  if (job.runDir && !stopped) await lm.save(join(job.runDir, 'policy'));
  return { policy: lm, history, eval: evalMetrics, stopped };
}

/** Reference log-probs of every split, computed once and kept in the run directory. */
async function referenceLogps(
  job: DPOJob,
  cfg: DPOConfig,
  splits: { train: Item[]; eval: Item[] },
  T: number,
  B: number,
): Promise<{ train: Float32Array; eval: Float32Array }> {
  const rows = (items: Item[]) => [...items.map((it) => it.a), ...items.map((it) => it.b)];
  if (cfg.lossType === 'simpo') {
    return {
      train: new Float32Array(2 * splits.train.length),
      eval: new Float32Array(2 * splits.eval.length),
    };
  }
  const path = job.runDir ? join(job.runDir, 'reference-logps.safetensors') : null;
  if (path && job.runDir && (await hasCheckpoint(join(job.runDir, 'checkpoint')))) {
    const f = await readSafetensors(path);
    const get = (k: 'train' | 'eval', n: number) => {
      const t = f.tensors.get(k);
      if (!t || t.data.length !== 2 * n)
        throw new Error(
          `${path}: holds no ${k} log-probs for ${n} rows; the data changed since the run began`,
        );
      return t.data as Float32Array;
    };
    return { train: get('train', splits.train.length), eval: get('eval', splits.eval.length) };
  }
  const ref = job.reference ?? job.policy;
  const R = 2 * B;
  const out = {
    train: await hostLogps(ref, rows(splits.train), T, R),
    eval: splits.eval.length ? await hostLogps(ref, rows(splits.eval), T, R) : new Float32Array(0),
  };
  if (path) {
    await writeSafetensors(path, {
      train: { dtype: 'F32', shape: [out.train.length], data: out.train },
      eval: { dtype: 'F32', shape: [out.eval.length], data: out.eval },
    });
  }
  return out;
}

/** Held-out metrics over every held-out item at once, eval_ prefixed. */
async function evaluateHeld(
  cfg: DPOConfig,
  lm: CausalLM,
  items: Item[],
  ref: Float32Array,
  T: number,
  B: number,
): Promise<Record<string, number>> {
  const n = items.length;
  const rows = [...items.map((it) => it.a), ...items.map((it) => it.b)];
  const logps = await hostLogps(lm, rows, T, 2 * B);
  const counts = rows.map((r) => r.ids.length - r.promptLength);
  const vec = (data: ArrayLike<number>, len: number) => ({ data, shape: [len] });
  const out = await evaluate(
    (x) => {
      const o = preferenceObjective(cfg, x['logps']!, x['counts']!, x['ref']!, x['labels']!);
      return { loss: o.loss, ...o.metrics };
    },
    {
      logps: vec(logps, 2 * n),
      counts: vec(counts, 2 * n),
      ref: vec(ref, 2 * n),
      labels: vec(
        items.map((it) => it.label),
        n,
      ),
    },
  );
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [`eval_${k}`, Number(v.data[0])]));
}
