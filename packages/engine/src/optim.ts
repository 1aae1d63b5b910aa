/**
 * Optimizers inside the graph: the update is part of the compiled training step, so one session.run does
 * forward, backward and update. State (moments, step count) goes in and comes out as tensors.
 */
import { add, cos, div, greater, less, minimum, mul, pow, scalar, sqrt, sub, where } from './elementwise.js';
import type { Tensor } from './graph.js';
import { reduceSum } from './reduce.js';
import { cast } from './shape.js';

export interface AdamWConfig {
  /** First-moment decay. */
  beta1: number;
  /** Second-moment decay. */
  beta2: number;
  /** Added to the denominator. */
  eps: number;
  /** Decoupled weight decay (Loshchilov & Hutter): p ← p − lr·wd·p, applied apart from the Adam step. */
  weightDecay: number;
}

export const adamwDefaults: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/**
 * One AdamW step with bias correction. step is the 1-based step count after this update (scalar).
 * decay[i] false exempts parameter i from weight decay (biases, norms, embeddings by convention).
 */
export function adamw(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  m: readonly Tensor[],
  v: readonly Tensor[],
  step: Tensor,
  lr: Tensor,
  cfg: AdamWConfig = adamwDefaults,
  decay?: readonly boolean[],
): { params: Tensor[]; m: Tensor[]; v: Tensor[] } {
  const { beta1, beta2, eps, weightDecay } = cfg;
  const bc1 = sub(1, pow(scalar(beta1, step.dtype), step)); // 1 − β₁ᵗ
  const bc2 = sub(1, pow(scalar(beta2, step.dtype), step)); // 1 − β₂ᵗ
  const out = { params: [] as Tensor[], m: [] as Tensor[], v: [] as Tensor[] };
  params.forEach((p, i) => {
    const g = grads[i]!;
    const lrp = cast(lr, p.dtype);
    const mi = add(mul(beta1, m[i]!), mul(1 - beta1, g));
    const vi = add(mul(beta2, v[i]!), mul(1 - beta2, mul(g, g)));
    const mhat = div(mi, cast(bc1, p.dtype));
    const vhat = div(vi, cast(bc2, p.dtype));
    let next = sub(p, mul(lrp, div(mhat, add(sqrt(vhat), eps))));
    if (weightDecay > 0 && (decay?.[i] ?? true)) next = sub(next, mul(mul(lrp, weightDecay), p));
    out.params.push(next);
    out.m.push(mi);
    out.v.push(vi);
  });
  return out;
}

/** Plain SGD, optionally with momentum (buffers in/out like AdamW's moments). */
export function sgd(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  lr: Tensor,
  momentum = 0,
  buf?: readonly Tensor[],
): { params: Tensor[]; buf: Tensor[] } {
  const out = { params: [] as Tensor[], buf: [] as Tensor[] };
  params.forEach((p, i) => {
    const g = grads[i]!;
    const d = momentum > 0 && buf ? add(mul(momentum, buf[i]!), g) : g;
    out.params.push(sub(p, mul(cast(lr, p.dtype), d)));
    out.buf.push(d);
  });
  return out;
}

/** Global gradient-norm clipping: scale every gradient by min(1, maxNorm / ‖g‖₂). Returns the pre-clip norm. */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  const norm = globalNorm(grads);
  const scale = minimum(1, div(maxNorm, add(norm, 1e-6)));
  return { grads: grads.map((g) => mul(g, cast(scale, g.dtype))), norm };
}

/** ‖g‖₂ over all gradients together (float32 scalar). */
export function globalNorm(grads: readonly Tensor[]): Tensor {
  const sq = grads.map((g) => cast(reduceSum(mul(g, g)), 'float32'));
  return sqrt(sq.reduce((a, b) => add(a, b)));
}

export interface LrSchedule {
  /** Peak learning rate. */
  lr: number;
  /** 'constant', or linear warmup then cosine decay to minLr at totalSteps. */
  kind: 'constant' | 'cosine';
  warmupSteps?: number;
  totalSteps?: number;
  minLr?: number;
}

/** The learning rate at a 1-based step, in the graph (step: float32 scalar). */
export function scheduledLr(step: Tensor, s: LrSchedule): Tensor {
  if (s.kind === 'constant') return scalar(s.lr, step.dtype);
  const warm = Math.max(0, s.warmupSteps ?? 0);
  const total = Math.max(warm + 1, s.totalSteps ?? 1);
  const minLr = s.minLr ?? 0;
  const warmLr = mul(s.lr, div(step, Math.max(1, warm)));
  const progress = minimum(1, div(sub(step, warm), total - warm));
  const cosLr = add(minLr, mul((s.lr - minLr) / 2, add(1, cos(mul(Math.PI, progress)))));
  return where(less(step, warm + 1e-9), warmLr, where(greater(progress, 1), minLr, cosLr));
}

/** The same schedule on the host (for logging, and to check the graph's). */
export function lrAt(step: number, s: LrSchedule): number {
  if (s.kind === 'constant') return s.lr;
  const warm = Math.max(0, s.warmupSteps ?? 0);
  const total = Math.max(warm + 1, s.totalSteps ?? 1);
  const minLr = s.minLr ?? 0;
  if (step < warm + 1e-9) return (s.lr * step) / Math.max(1, warm);
  const progress = Math.min(1, (step - warm) / (total - warm));
  return minLr + ((s.lr - minLr) / 2) * (1 + Math.cos(Math.PI * progress));
}
