/**
 * The RL fine-tuning loop (cleanrl / TRL as models), one iteration in numbered steps:
 *   1. sample prompts  2. generate  3. score  4. logp_old and logp_ref  5. rewards, advantages
 *   6. PPO epochs over minibatches  7. KL controller
 * Metrics are named as in rlhf-conventions.md. Checkpoints hold the policy, value head, optimizer state, KL
 * controller, RNG state and data position, so a resumed run continues exactly.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdaptiveKLController,
  FixedKLController,
  type KLController,
  type KLControllerState,
  klControllerFromState,
} from '@rlhfkit/core';
import { Rng } from '@rlhfkit/engine';
import { type EventSink, JobSwitch, RunLog, type Sample } from '@rlhfkit/io';
import {
  type CausalLM,
  hasCheckpoint,
  loadCausalLM,
  loadCheckpoint,
  moments,
  saveCheckpoint,
} from '@rlhfkit/model';
import { computeAdvantages, shapeScores } from './advantages.js';
import { collectRollout } from './collect.js';
import type { PPOConfig } from './config.js';
import { layoutRollout, rolloutStats } from './rollout.js';
import type { RewardPart, RewardRow, Scorer } from './scorer.js';
import { createUpdater, stackMinibatches, valueHeadShapes } from './update.js';
import { watchMetrics } from './watch.js';

export interface PPOJob {
  config: PPOConfig;
  /** The policy to fine-tune (with its tokenizer). */
  policy: CausalLM;
  /** The frozen reference; a copy of the starting policy when omitted. */
  reference?: CausalLM;
  /** One scorer, or several weighted rewards (each logged as rewards/<name>/mean and /std). */
  scorer: Scorer | readonly RewardPart[];
  prompts: readonly string[];
  /** Each prompt's other dataset columns, handed to the scorer (TRL's reward-function kwargs). */
  promptRows?: readonly RewardRow[];
  /** Run directory: metrics, samples, checkpoint/, reference/, policy/. Resumes from a checkpoint there. */
  runDir?: string;
  sink?: EventSink;
  control?: JobSwitch;
  stage?: string;
}

export interface PPOResult {
  policy: CausalLM;
  history: Record<string, number>[];
  stopped: boolean;
}

export async function runPPO(job: PPOJob): Promise<PPOResult> {
  const cfg = job.config;
  const tok = job.policy.tokenizer;
  if (!tok) throw new Error('runPPO: the policy has no tokenizer');
  if (job.prompts.length === 0) throw new Error('runPPO: no prompts');
  const stage = job.stage ?? 'ppo';
  const emit = job.sink ?? (() => {});
  const control = job.control ?? new JobSwitch();
  const log = job.runDir ? new RunLog(job.runDir) : null;
  const ckptDir = job.runDir ? join(job.runDir, 'checkpoint') : null;
  const c = job.policy.config;
  const eos = c.eosTokenId; // the pad id of the rollout layout
  const stops = new Set(c.eosTokenIds); // a completion ends at any of them
  const N = cfg.maxNewTokens;
  const promptTokens = job.prompts.map((p) => tok.encode(p));
  const rewards = 'score' in job.scorer ? [{ name: 'score', weight: 1, scorer: job.scorer }] : job.scorer;
  const P = Math.ceil(Math.max(...promptTokens.map((p) => p.length)) / 8) * 8;
  if (P + N > c.nPositions)
    throw new Error(
      `longest prompt (${P} tokens, rounded) + maxNewTokens ${N} exceeds the model's context ${c.nPositions}`,
    );

  // State: everything a checkpoint saves.
  let policy = job.policy.clone();
  if (cfg.algorithm === 'ppo' && !policy.heads['value_head.weight']) {
    const r = new Rng(cfg.seed + 1);
    const shapes = valueHeadShapes(c.nEmbd);
    policy.heads['value_head.weight'] = Float32Array.from({ length: c.nEmbd }, () => r.normal() * 0.01);
    policy.heads['value_head.bias'] = new Float32Array(shapes['value_head.bias']![0]!);
  }
  let reference = job.reference ?? job.policy.clone();
  let rng = new Rng(cfg.seed);
  let iteration = 0;
  let kl: KLController = cfg.adaptiveKl
    ? new AdaptiveKLController({ initKlCoef: cfg.klCoef, target: cfg.klTarget, horizon: cfg.klHorizon })
    : new FixedKLController(cfg.klCoef);
  const updater = createUpdater(cfg, policy, P, N, cfg.iterations);

  if (ckptDir && job.runDir && (await hasCheckpoint(ckptDir))) {
    const ck = await loadCheckpoint(ckptDir, policy.runtime);
    policy = ck.lm;
    reference = await loadCausalLM(join(job.runDir, 'reference'), policy.runtime);
    const s = ck.state as { iteration: number; rng: number; kl: KLControllerState; trainerStep: number };
    iteration = s.iteration;
    rng = new Rng(s.rng);
    kl = klControllerFromState(s.kl);
    updater.state = {
      step: s.trainerStep,
      params: { ...policy.params, ...pickValueHead(policy, cfg) },
      m: ck.m,
      v: ck.v,
    };
    emit({ type: 'log', level: 'info', message: `${stage}: resumed at iteration ${iteration}` });
  } else if (job.runDir) {
    await mkdir(job.runDir, { recursive: true });
    await reference.save(join(job.runDir, 'reference'));
  }

  const syncPolicy = () => {
    const p = updater.state.params as Record<string, Float32Array>;
    const { 'value_head.weight': w, 'value_head.bias': b, ...backbone } = p;
    policy.params = backbone;
    if (w && b) policy.heads = { ...policy.heads, 'value_head.weight': w, 'value_head.bias': b };
  };
  const checkpoint = async () => {
    if (!ckptDir) return;
    syncPolicy();
    const state = { iteration, rng: rng.state, kl: kl.state(), trainerStep: updater.state.step };
    await saveCheckpoint(ckptDir, { lm: policy, ...moments(updater.state), state });
    emit({ type: 'checkpoint', stage, step: iteration, path: ckptDir });
  };

  const history: Record<string, number>[] = [];
  let stopped = false;
  const k = cfg.groupSize;
  while (iteration < cfg.iterations) {
    await control.gate((p) => emit({ type: 'status', status: p ? 'paused' : 'running' }));
    if (control.stopRequested) {
      stopped = true;
      break;
    }
    syncPolicy();
    const iterRng = rng.fork();
    // 1-3. Sample prompts, generate, score (with dynamic sampling, over several rounds).
    const got = await collectRollout(
      { cfg, policy, tok, prompts: job.prompts, promptTokens, rewards, promptRows: job.promptRows ?? [] },
      iterRng,
    );
    const { raw, completions, generateS, scoreS } = got;
    const texts = got.rows.map((i) => job.prompts[i]!);
    const ended = got.tokens.map((t) => stops.has(t.at(-1) ?? -1));
    const scores = shapeScores(
      cfg,
      raw,
      ended,
      got.tokens.map((t) => t.length),
    );
    // 4. logp_old, values and logp_ref.
    const t0 = Date.now();
    const layout = layoutRollout(
      got.rows.map((i) => promptTokens[i]!),
      got.tokens,
      eos,
      P,
      N,
    );
    const critic = cfg.algorithm === 'ppo';
    const stats = await rolloutStats(policy, reference, layout, cfg.temperature, critic);
    // 5. Rewards with the KL penalty, advantages, returns.
    const adv = computeAdvantages(cfg, {
      B: layout.B,
      N,
      scores,
      logp: stats.logp,
      refLogp: stats.refLogp,
      values: stats.values,
      respMask: layout.respMask,
      klCoef: kl.value,
    });
    // 6. PPO epochs over minibatches, in one run.
    const oldValues = stats.values ?? new Float32Array(layout.B * N);
    const respMask = layout.respMask.map((v, i) => (got.filler[Math.floor(i / N)] ? 0 : v));
    const m = await updater.run(
      stackMinibatches(
        cfg,
        {
          layout,
          respMask,
          oldLogp: stats.logp,
          refLogp: stats.refLogp,
          advantages: adv.advantages,
          returns: adv.returns,
          oldValues,
        },
        iterRng,
      ),
    );
    const trainS = (Date.now() - t0) / 1000;
    // 7. KL controller.
    const meanKl = mean(adv.kl);
    const klCoef = kl.value;
    kl.update(meanKl, layout.B);
    iteration++;

    const tokens = layout.respMask.reduce((s, v) => s + v, 0);
    const entropySum = rowSums(stats.entropy, layout.respMask, N);
    const metrics: Record<string, number> = {
      'objective/kl': meanKl,
      'objective/kl_coef': klCoef,
      'objective/entropy': mean(entropySum),
      'objective/non_score_reward': mean(adv.nonScoreReward),
      'objective/rlhf_reward': mean(raw) + mean(adv.nonScoreReward),
      'objective/scores': mean(raw),
      'val/num_eos_tokens': ended.filter(Boolean).length,
      'val/mean_response_length': tokens / layout.B,
      lr: m['lr']!.at(-1)!,
      episode: iteration * layout.B,
      'timing/generate_s': generateS,
      'timing/score_s': scoreS,
      'timing/train_s': trainS,
      'perf/tokens_per_s': (tokens + layout.B * P) / (generateS + scoreS + trainS),
    };
    Object.assign(
      metrics,
      watchMetrics({
        tokens: got.tokens,
        eosTokenIds: stops,
        klPerRow: adv.kl,
        scores: raw,
        range: 'score' in job.scorer ? job.scorer.range : undefined,
      }),
    );
    if (k > 1) metrics['frac_reward_zero_std'] = got.fracZeroStd;
    if (cfg.dynamicSampling) metrics['num_gen_batches'] = got.rounds;
    for (const [name, values] of Object.entries(m)) if (name.includes('/')) metrics[name] = mean(values);
    if (Array.isArray(job.scorer)) {
      for (const [name, values] of Object.entries(got.parts)) {
        metrics[`rewards/${name}/mean`] = mean(values);
        metrics[`rewards/${name}/std`] = std(values);
      }
    }
    history.push(metrics);
    log?.append('metrics.jsonl', { step: iteration, ...metrics });
    emit({ type: 'metrics', stage, step: iteration, metrics });
    emit({ type: 'progress', stage, step: iteration, total: cfg.iterations });
    const samples: Sample[] = completions
      .slice(0, cfg.samplesPerIteration)
      .map((completion, i) => ({ prompt: texts[i]!, completion, score: raw[i]! }));
    for (const s of samples) log?.append('samples.jsonl', { step: iteration, ...s });
    if (samples.length) emit({ type: 'samples', stage, step: iteration, samples });
    if (!Number.isFinite(metrics['loss/policy_avg'] ?? 0))
      throw new Error(`${stage}: policy loss became non-finite at iteration ${iteration}; lower lr`);
    const due = cfg.checkpointEvery > 0 && iteration % cfg.checkpointEvery === 0;
    // The last iteration is checkpointed once, after the loop.
    if ((due && iteration < cfg.iterations) || control.takeSave()) await checkpoint();
  }
  await checkpoint();
  syncPolicy();
  if (job.runDir && !stopped) await policy.save(join(job.runDir, 'policy'));
  return { policy, history, stopped };
}

function pickValueHead(lm: CausalLM, cfg: PPOConfig): Record<string, Float32Array> {
  if (cfg.algorithm !== 'ppo') return {};
  return {
    'value_head.weight': lm.heads['value_head.weight']!,
    'value_head.bias': lm.heads['value_head.bias']!,
  };
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : 0;
}

/** Sample standard deviation (TRL's torch.std), 0 for fewer than two values. */
function std(a: readonly number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / (a.length - 1));
}

function rowSums(x: Float32Array, mask: Float32Array, N: number): number[] {
  const out: number[] = [];
  for (let b = 0; b * N < x.length; b++) {
    let s = 0;
    for (let t = 0; t < N; t++) s += x[b * N + t]! * mask[b * N + t]!;
    out.push(s);
  }
  return out;
}
