/**
 * Step 6 of the loop: the compiled update. All PPO epochs × minibatches of one iteration run as one Trainer
 * call (an ONNX Loop over stacked minibatches), so a rollout is trained in a single session.run.
 */
import { aggregate, maskedMean, policyLossAgg, ppoClipLoss, reinforceLoss, valueLoss } from '@rlhfkit/core';
import { add, exp, mul, type Rng, sub, type Tensor, Trainer } from '@rlhfkit/engine';
import { type CausalLM, paramShapes } from '@rlhfkit/model';
import type { PPOConfig } from './config.js';
import { layoutSpecs, policyForward, type RolloutLayout } from './rollout.js';

export const valueHeadShapes = (nEmbd: number): Record<string, number[]> => ({
  'value_head.weight': [nEmbd, 1],
  'value_head.bias': [1],
});

export function createUpdater(
  cfg: PPOConfig,
  policy: CausalLM,
  P: number,
  N: number,
  totalIterations: number,
): Trainer {
  const c = policy.config;
  const critic = cfg.algorithm === 'ppo';
  const shapes = { ...paramShapes(c), ...(critic ? valueHeadShapes(c.nEmbd) : {}) };
  const Bm = cfg.minibatchSize;
  const rows = cfg.promptsPerIteration * cfg.groupSize;
  const epochs = cfg.algorithm === 'reinforce' ? 1 : cfg.ppoEpochs;
  const steps = epochs * (rows / Bm);
  const init: Record<string, Float32Array> = { ...policy.params };
  if (critic)
    Object.assign(init, {
      'value_head.weight': policy.heads['value_head.weight']!,
      'value_head.bias': policy.heads['value_head.bias']!,
    });
  return Trainer.create(
    {
      params: Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { shape: s }])),
      batch: {
        ...layoutSpecs(Bm, P, N),
        respMask: { shape: [Bm, N] },
        oldLogp: { shape: [Bm, N] },
        advantages: { shape: [Bm, N] },
        returns: { shape: [Bm, N] },
        oldValues: { shape: [Bm, N] },
        refLogp: { shape: [Bm, N] },
        tokenCount: { shape: [] },
      },
      loss: (p, b) => {
        const out = policyForward(p, c, b, P, N, cfg.temperature);
        const m = b['respMask']!;
        const metrics: Record<string, Tensor> = {};
        // The policy loss's normaliser (TRL's loss_type; core/agg.ts): dapo divides by the rollout's tokens.
        const agg = { agg: policyLossAgg[cfg.lossType], tokenCount: b['tokenCount']! };
        let loss: Tensor;
        if (cfg.algorithm === 'reinforce') {
          loss = reinforceLoss({ logp: out.logp, advantages: b['advantages']!, mask: m, ...agg });
        } else {
          const pg = ppoClipLoss({
            logp: out.logp,
            oldLogp: b['oldLogp']!,
            advantages: b['advantages']!,
            mask: m,
            clip: cfg.clip,
            ...(cfg.clipLow === undefined ? {} : { clipLow: cfg.clipLow }),
            ...(cfg.clipHigh === undefined ? {} : { clipHigh: cfg.clipHigh }),
            importanceSampling: cfg.importanceSampling,
            ...(cfg.klLossCoef > 0 ? { refLogp: b['refLogp']!, klCoef: cfg.klLossCoef } : {}),
            ...agg,
          });
          loss = pg.loss;
          metrics['policy/approxkl_avg'] = pg.approxKl;
          metrics['policy/clipfrac_avg'] = pg.clipFrac;
          if (cfg.klLossCoef > 0) metrics['loss/kl_avg'] = pg.kl;
        }
        metrics['loss/policy_avg'] = loss;
        const ratio = exp(sub(out.logp, b['oldLogp']!));
        const ratioMean = maskedMean(ratio, m);
        metrics['val/ratio'] = ratioMean;
        metrics['val/ratio_var'] = maskedMean(mul(sub(ratio, ratioMean), sub(ratio, ratioMean)), m);
        metrics['policy/entropy_avg'] = maskedMean(out.entropy, m);
        if (critic && out.values) {
          const v = valueLoss({
            values: out.values,
            oldValues: b['oldValues']!,
            returns: b['returns']!,
            mask: m,
            clip: cfg.valueClip,
          });
          metrics['loss/value_avg'] = v.loss;
          metrics['val/clipfrac_avg'] = v.clipFrac;
          loss = add(loss, mul(cfg.vfCoef, v.loss));
        }
        if (cfg.entCoef > 0) loss = sub(loss, mul(cfg.entCoef, aggregate(out.entropy, m)));
        return { loss, metrics };
      },
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      schedule:
        cfg.lrSchedule === 'cosine'
          ? {
              kind: 'cosine',
              lr: cfg.lr,
              warmupSteps: 0,
              totalSteps: steps * totalIterations,
              minLr: cfg.lr * 0.1,
            }
          : { kind: 'constant', lr: cfg.lr },
      maxGradNorm: cfg.maxGradNorm,
      stepsPerRun: steps,
    },
    init,
    policy.runtime,
  );
}

export interface UpdateData {
  layout: RolloutLayout;
  /** (B, N) the tokens that train: the layout's response mask, less any rows dynamic sampling masked out. */
  respMask: Float32Array;
  oldLogp: Float32Array;
  refLogp: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  oldValues: Float32Array;
}

/** Shuffle rows per epoch and stack the minibatches along a leading axis, in Loop order. */
export function stackMinibatches(
  cfg: PPOConfig,
  d: UpdateData,
  rng: Rng,
): Record<string, { data: Float32Array | Float64Array }> {
  const { B, P, N } = d.layout;
  const T = P + N;
  const epochs = cfg.algorithm === 'reinforce' ? 1 : cfg.ppoEpochs;
  const order: number[] = [];
  for (let e = 0; e < epochs; e++) order.push(...rng.shuffle([...Array(B).keys()]));
  const take = <A extends Float32Array | Float64Array>(src: A, width: number, make: (n: number) => A) => {
    const out = make(order.length * width);
    order.forEach((r, i) => {
      out.set(src.subarray(r * width, (r + 1) * width), i * width);
    });
    return { data: out };
  };
  const f32 = (n: number) => new Float32Array(n);
  const f64 = (n: number) => new Float64Array(n);
  const tokens = d.respMask.reduce((s, v) => s + v, 0); // the active tokens of the whole rollout (dapo)
  return {
    ids: take(d.layout.ids, T, f64),
    positions: take(d.layout.positions, T, f64),
    mask: take(d.layout.mask, T, f32),
    respMask: take(d.respMask, N, f32),
    oldLogp: take(d.oldLogp, N, f32),
    refLogp: take(d.refLogp, N, f32),
    tokenCount: { data: new Float32Array(order.length / cfg.minibatchSize).fill(tokens) },
    advantages: take(d.advantages, N, f32),
    returns: take(d.returns, N, f32),
    oldValues: take(d.oldValues, N, f32),
  };
}
