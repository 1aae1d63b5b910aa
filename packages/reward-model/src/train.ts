/**
 * Reward-model training: Bradley-Terry on (chosen, rejected) pairs, both scored in one forward pass of 2B rows,
 * AdamW, epochs over a seeded shuffle, held-out evaluation, atomic checkpoints and exact resume.
 */
import { join } from 'node:path';
import { Rng, reshape, slice, type Tensor, Trainer } from '@rlhfkit/engine';
import { type EventSink, JobSwitch, RunLog } from '@rlhfkit/io';
import {
  CausalLM,
  hasCheckpoint,
  loadCheckpoint,
  moments,
  padRight,
  saveCheckpoint,
  type Tokenizer,
} from '@rlhfkit/model';
import type { RewardTrainConfig } from './config.js';
import type { PreferenceRecord } from './data.js';
import { bradleyTerryLoss } from './loss.js';
import { asRewardBackbone, encodeItem, initScoreHead, RewardModel, rewardShapes, scoresAt } from './model.js';

export interface RewardEval {
  loss: number;
  accuracy: number;
  margin: number;
  mean_reward: number;
  /** The lowest and highest score given (evaluateRewardModel; recorded as the model's score_range.json). */
  min_score?: number;
  max_score?: number;
}

export interface RewardTrainOptions {
  /** Held-out pairs for eval_ metrics after each epoch. */
  evalRecords?: readonly PreferenceRecord[];
  /** Run directory: metrics, checkpoint/, and the final reward model in model/. Resumes from a checkpoint. */
  runDir?: string;
  sink?: EventSink;
  control?: JobSwitch;
  stage?: string;
}

interface Encoded {
  chosen: number[];
  rejected: number[];
  margin: number;
}

function encode(tok: Tokenizer, r: PreferenceRecord, maxLength: number): Encoded {
  const cut = (s: number[]) => (s.length > maxLength ? s.slice(-maxLength) : s);
  return {
    chosen: cut(encodeItem(tok, { prompt: r.prompt, completion: r.chosen })),
    rejected: cut(encodeItem(tok, { prompt: r.prompt, completion: r.rejected })),
    margin: r.margin,
  };
}

/** Bradley-Terry metrics from scores, on the host (for evaluation). */
export function preferenceMetrics(chosen: number[], rejected: number[], margins?: number[]): RewardEval {
  let loss = 0;
  let acc = 0;
  let margin = 0;
  let sum = 0;
  chosen.forEach((c, i) => {
    const d = c - rejected[i]! - (margins?.[i] ?? 0);
    loss += d > 0 ? Math.log1p(Math.exp(-d)) : -d + Math.log1p(Math.exp(d)); // −log σ(d), stably
    acc += c > rejected[i]! ? 1 : 0;
    margin += c - rejected[i]!;
    sum += c + rejected[i]!;
  });
  const n = chosen.length;
  return { loss: loss / n, accuracy: acc / n, margin: margin / n, mean_reward: sum / (2 * n) };
}

export async function evaluateRewardModel(
  rm: RewardModel,
  records: readonly PreferenceRecord[],
): Promise<RewardEval> {
  const enc = records.map((r) => encode(rm.tokenizer, r, rm.maxLength));
  const c = await rm.scoreTokens(enc.map((e) => e.chosen));
  const r = await rm.scoreTokens(enc.map((e) => e.rejected));
  const all = [...c, ...r];
  return {
    ...preferenceMetrics(
      c,
      r,
      enc.map((e) => e.margin),
    ),
    min_score: Math.min(...all),
    max_score: Math.max(...all),
  };
}

export async function trainRewardModel(
  base: CausalLM,
  records: readonly PreferenceRecord[],
  cfg: RewardTrainConfig,
  o: RewardTrainOptions = {},
): Promise<{ rm: RewardModel; eval: RewardEval | null; stopped: boolean }> {
  const tok = base.tokenizer;
  if (!tok) throw new Error('trainRewardModel: the base model has no tokenizer');
  const { batchSize: B, maxLength: T } = cfg;
  if (records.length < B)
    throw new Error(`trainRewardModel: ${records.length} training pairs, fewer than batchSize ${B}`);
  if (T > base.config.nPositions)
    throw new Error(`maxLength ${T} exceeds the base model's nPositions ${base.config.nPositions}`);
  const stage = o.stage ?? 'train-rm';
  const emit = o.sink ?? (() => {});
  const control = o.control ?? new JobSwitch();
  const log = o.runDir ? new RunLog(o.runDir) : null;
  const ckptDir = o.runDir ? join(o.runDir, 'checkpoint') : null;

  let lm = asRewardBackbone(base, initScoreHead(base.config, cfg.seed));
  const c = lm.config;
  let resume: {
    step: number;
    m: Record<string, Float32Array | Float64Array>;
    v: Record<string, Float32Array | Float64Array>;
  } | null = null;
  if (ckptDir && (await hasCheckpoint(ckptDir))) {
    const ck = await loadCheckpoint(ckptDir, base.runtime);
    lm = ck.lm;
    resume = { step: ck.state['step'] as number, m: ck.m, v: ck.v };
    emit({ type: 'log', level: 'info', message: `${stage}: resumed at step ${resume.step}` });
  }
  const data = records.map((r) => encode(tok, r, T));
  const stepsPerEpoch = Math.floor(data.length / B);
  const total = stepsPerEpoch * cfg.epochs;
  const shapes = rewardShapes(c);
  const trainer = Trainer.create(
    {
      params: Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { shape: s }])),
      batch: {
        ids: { shape: [2 * B, T], dtype: 'int64' },
        mask: { shape: [2 * B, T] },
        last: { shape: [2 * B], dtype: 'int64' },
        margin: { shape: [B] },
      },
      loss: (p, b) => {
        const s = scoresAt(p, c, b['ids']!, b['mask']!, b['last']!); // (2B): chosen rows, then rejected
        const half = (i: number): Tensor => reshape(slice(s, [i * B], [(i + 1) * B], [0]), [B]);
        const r = bradleyTerryLoss({
          chosen: half(0),
          rejected: half(1),
          margin: b['margin']!,
          centering: cfg.centering,
        });
        return {
          loss: r.loss,
          metrics: { accuracy: r.accuracy, margin: r.margin, mean_reward: r.meanReward },
        };
      },
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay },
      schedule: {
        kind: 'cosine',
        lr: cfg.lr,
        warmupSteps: cfg.warmupSteps,
        totalSteps: total,
        minLr: cfg.lr * 0.1,
      },
      maxGradNorm: cfg.maxGradNorm,
    },
    { ...lm.params, ...lm.heads },
    base.runtime,
  );
  if (resume) trainer.state = { ...trainer.state, step: resume.step, m: resume.m, v: resume.v };

  const sync = () => {
    const p = trainer.state.params as Record<string, Float32Array>;
    const { 'score.weight': w, ...backbone } = p;
    lm = new CausalLM(c, backbone, { ...lm.heads, 'score.weight': w! }, base.runtime, tok);
  };
  const checkpoint = async () => {
    if (!ckptDir) return;
    sync();
    await saveCheckpoint(ckptDir, { lm, ...moments(trainer.state), state: { step: trainer.state.step } });
    emit({ type: 'checkpoint', stage, step: trainer.state.step, path: ckptDir });
  };
  const order = (epoch: number) => new Rng(cfg.seed * 1000 + epoch).shuffle([...data.keys()]);

  let evalResult: RewardEval | null = null;
  let stopped = false;
  let perm = order(Math.floor(trainer.state.step / stepsPerEpoch));
  while (trainer.state.step < total) {
    await control.gate((p) => emit({ type: 'status', status: p ? 'paused' : 'running' }));
    if (control.stopRequested) {
      stopped = true;
      break;
    }
    const step0 = trainer.state.step;
    const epoch = Math.floor(step0 / stepsPerEpoch);
    const at = (step0 % stepsPerEpoch) * B;
    if (at === 0) perm = order(epoch);
    const pairs = perm.slice(at, at + B).map((i) => data[i]!);
    const rows = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
    const batch = padRight(rows, c.eosTokenId, T);
    const t0 = Date.now();
    const m = await trainer.run({
      ids: { data: batch.ids },
      mask: { data: batch.mask },
      last: { data: rows.map((r) => r.length - 1) },
      margin: { data: pairs.map((p) => p.margin) },
    });
    const step = trainer.state.step;
    const metrics: Record<string, number> = {
      loss: m['loss']![0]!,
      accuracy: m['accuracy']![0]!,
      margin: m['margin']![0]!,
      mean_reward: m['mean_reward']![0]!,
      grad_norm: m['grad_norm']![0]!,
      lr: m['lr']![0]!,
      'perf/tokens_per_s': (2 * B * T) / ((Date.now() - t0) / 1000),
    };
    if (!Number.isFinite(metrics['loss']!))
      throw new Error(`${stage}: loss became ${metrics['loss']} at step ${step}; lower lr`);
    log?.append('metrics.jsonl', { step, epoch, ...metrics });
    emit({ type: 'metrics', stage, step, metrics });
    emit({ type: 'progress', stage, step, total });
    if (step % stepsPerEpoch === 0 && o.evalRecords?.length) {
      sync();
      evalResult = await evaluateRewardModel(new RewardModel(lm, tok, T), o.evalRecords);
      const ev = Object.fromEntries(Object.entries(evalResult).map(([k, v]) => [`eval_${k}`, v]));
      log?.append('eval.jsonl', { step, epoch: epoch + 1, ...ev });
      emit({ type: 'metrics', stage, step, metrics: ev });
    }
    if ((step % stepsPerEpoch === 0 && step < total) || control.takeSave()) await checkpoint();
  }
  await checkpoint();
  sync();
  const rm = new RewardModel(lm, tok, T);
  // The range of its held-out scores: what RL reads to tell when the policy pushes the RM past what it saw.
  if (evalResult?.min_score !== undefined && evalResult.max_score !== undefined && o.evalRecords) {
    rm.scoreRange = { min: evalResult.min_score, max: evalResult.max_score, pairs: o.evalRecords.length };
  }
  if (o.runDir && !stopped) await rm.save(join(o.runDir, 'model'));
  return { rm, eval: evalResult, stopped };
}
