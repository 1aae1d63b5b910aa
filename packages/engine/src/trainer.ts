import { grad } from './autodiff.js';
import type { DType } from './dtype.js';
import { add } from './elementwise.js';
import type { Tensor } from './graph.js';
import { gather } from './indexing.js';
import { loop } from './loop.js';
import {
  type AdamWConfig,
  adamw,
  adamwDefaults,
  clipGradNorm,
  globalNorm,
  type LrSchedule,
  scheduledLr,
  sgd,
} from './optim.js';
import { type Feed, type InputSpec, Program } from './program.js';
import type { RuntimeOptions } from './runtime.js';
import { cast } from './shape.js';

export interface ParamSpec {
  shape: readonly number[];
  /** Apply weight decay to this parameter (default true for rank ≥ 2, false for vectors). */
  decay?: boolean;
}

export type LossFn = (
  params: Record<string, Tensor>,
  batch: Record<string, Tensor>,
) => { loss: Tensor; metrics?: Record<string, Tensor> };

export interface TrainerConfig {
  params: Record<string, ParamSpec>;
  batch: Record<string, InputSpec>;
  loss: LossFn;
  optimizer?: ({ kind: 'adamw' } & Partial<AdamWConfig>) | { kind: 'sgd'; momentum?: number };
  schedule: LrSchedule;
  /** Clip the global gradient norm to this (off when omitted). */
  maxGradNorm?: number;
  /** Optimizer steps per session.run, through ONNX Loop (1: a plain step). */
  stepsPerRun?: number;
  /** Parameter and optimizer-state dtype. */
  dtype?: 'float32' | 'float64';
}

export type FloatArray = Float32Array | Float64Array;

/** Everything needed to resume training exactly. */
export interface TrainerState {
  step: number;
  params: Record<string, FloatArray>;
  m: Record<string, FloatArray>;
  v: Record<string, FloatArray>;
}

/**
 * A compiled training step: params, optimizer state and a batch go in; new params, new state and metrics come
 * out, in one session.run. The host holds the state between runs. Metrics always include loss, grad_norm, lr.
 */
export class Trainer {
  private constructor(
    private readonly cfg: TrainerConfig,
    private readonly program: Program,
    readonly names: string[],
    public state: TrainerState,
  ) {}

  static create(cfg: TrainerConfig, init: Record<string, FloatArray>, runtime: RuntimeOptions = {}): Trainer {
    const names = Object.keys(cfg.params);
    const dtype: DType = cfg.dtype ?? 'float32';
    const Arr = dtype === 'float64' ? Float64Array : Float32Array;
    for (const n of names) {
      const size = cfg.params[n]!.shape.reduce((a, b) => a * b, 1);
      if (!init[n]) throw new Error(`Trainer: no initial value for parameter '${n}'`);
      if (init[n].length !== size)
        throw new Error(`Trainer: parameter '${n}' has ${init[n].length} values, expected ${size}`);
    }
    const state: TrainerState = {
      step: 0,
      params: Object.fromEntries(names.map((n) => [n, Arr.from(init[n]!)])),
      m: Object.fromEntries(names.map((n) => [n, new Arr(init[n]!.length)])),
      v: Object.fromEntries(names.map((n) => [n, new Arr(init[n]!.length)])),
    };
    return new Trainer(cfg, compileStep(cfg, names, dtype, runtime), names, state);
  }

  get stepsPerRun(): number {
    return this.cfg.stepsPerRun ?? 1;
  }

  /**
   * Run stepsPerRun optimizer steps. With stepsPerRun K > 1, every batch input has a leading axis of K.
   * Returns per-step metrics (arrays of length K).
   */
  async run(batch: Record<string, Feed>): Promise<Record<string, number[]>> {
    const feeds: Record<string, Feed> = { step: { data: [this.state.step] } };
    for (const n of this.names) {
      feeds[`param/${n}`] = { data: this.state.params[n]! };
      feeds[`m/${n}`] = { data: this.state.m[n]! };
      feeds[`v/${n}`] = { data: this.state.v[n]! };
    }
    for (const [k, f] of Object.entries(batch)) feeds[`batch/${k}`] = f;
    const out = await this.program.run(feeds);
    for (const n of this.names) {
      this.state.params[n] = out[`new_param/${n}`]!.data as FloatArray;
      this.state.m[n] = out[`new_m/${n}`]!.data as FloatArray;
      this.state.v[n] = out[`new_v/${n}`]!.data as FloatArray;
    }
    this.state.step = Number(out['new_step']!.data[0]);
    const metrics: Record<string, number[]> = {};
    for (const [k, t] of Object.entries(out)) {
      if (k.startsWith('metric/')) metrics[k.slice(7)] = Array.from(t.data as FloatArray, Number);
    }
    return metrics;
  }
}

function compileStep(cfg: TrainerConfig, names: string[], dtype: DType, runtime: RuntimeOptions): Program {
  const k = cfg.stepsPerRun ?? 1;
  const specs: Record<string, InputSpec> = { step: { shape: [], dtype: 'float32' } };
  for (const n of names) {
    for (const pre of ['param', 'm', 'v']) specs[`${pre}/${n}`] = { shape: cfg.params[n]!.shape, dtype };
  }
  for (const [b, s] of Object.entries(cfg.batch)) {
    specs[`batch/${b}`] = { shape: k > 1 ? [k, ...s.shape] : s.shape, dtype: s.dtype ?? 'float32' };
  }
  return Program.compile(
    specs,
    (x) => {
      const p = names.map((n) => x[`param/${n}`]!);
      const m = names.map((n) => x[`m/${n}`]!);
      const v = names.map((n) => x[`v/${n}`]!);
      const batchNames = Object.keys(cfg.batch);
      const one = (step: Tensor, p: Tensor[], m: Tensor[], v: Tensor[], batch: Record<string, Tensor>) =>
        trainStep(cfg, names, step, p, m, v, batch);
      const out: Record<string, Tensor> = {};
      let res: ReturnType<typeof trainStep>;
      if (k === 1) {
        res = one(x['step']!, p, m, v, Object.fromEntries(batchNames.map((b) => [b, x[`batch/${b}`]!])));
      } else {
        const metricNames: string[] = [];
        const l = loop(k, [x['step']!, ...p, ...m, ...v], (iter, c) => {
          const n = names.length;
          const batch = Object.fromEntries(batchNames.map((b) => [b, gather(x[`batch/${b}`]!, iter, 0)]));
          const r = one(c[0]!, c.slice(1, 1 + n), c.slice(1 + n, 1 + 2 * n), c.slice(1 + 2 * n), batch);
          metricNames.push(...Object.keys(r.metrics));
          return { carried: [r.step, ...r.params, ...r.m, ...r.v], scans: Object.values(r.metrics) };
        });
        const n = names.length;
        res = {
          step: l.carried[0]!,
          params: l.carried.slice(1, 1 + n),
          m: l.carried.slice(1 + n, 1 + 2 * n),
          v: l.carried.slice(1 + 2 * n),
          metrics: Object.fromEntries(metricNames.map((mn, i) => [mn, l.scans[i]!])),
        };
      }
      names.forEach((n, i) => {
        out[`new_param/${n}`] = res.params[i]!;
        out[`new_m/${n}`] = res.m[i]!;
        out[`new_v/${n}`] = res.v[i]!;
      });
      out['new_step'] = res.step;
      for (const [mn, t] of Object.entries(res.metrics)) out[`metric/${mn}`] = t;
      return out;
    },
    runtime,
  );
}

function trainStep(
  cfg: TrainerConfig,
  names: string[],
  step: Tensor,
  p: Tensor[],
  m: Tensor[],
  v: Tensor[],
  batch: Record<string, Tensor>,
) {
  const params = Object.fromEntries(names.map((n, i) => [n, p[i]!]));
  const { loss, metrics = {} } = cfg.loss(params, batch);
  if (loss.size !== 1) throw new Error(`Trainer: loss must be a scalar, got ${loss}`);
  let grads = grad(loss, p);
  let gradNorm: Tensor;
  if (cfg.maxGradNorm !== undefined) {
    const c = clipGradNorm(grads, cfg.maxGradNorm);
    grads = c.grads;
    gradNorm = c.norm;
  } else {
    gradNorm = globalNorm(grads);
  }
  const t = add(step, 1); // the 1-based count after this update
  const lr = scheduledLr(t, cfg.schedule);
  const opt = cfg.optimizer ?? { kind: 'adamw' };
  const decay = names.map((n) => cfg.params[n]!.decay ?? cfg.params[n]!.shape.length >= 2);
  let upd: { params: Tensor[]; m: Tensor[]; v: Tensor[] };
  if (opt.kind === 'adamw') {
    upd = adamw(p, grads, m, v, t, lr, { ...adamwDefaults, ...stripKind(opt) }, decay);
  } else {
    const s = sgd(p, grads, lr, opt.momentum ?? 0, m);
    upd = { params: s.params, m: s.buf, v };
  }
  const out: Record<string, Tensor> = { loss: cast(loss, 'float32'), grad_norm: gradNorm, lr };
  for (const [k, t2] of Object.entries(metrics)) out[k] = cast(t2, 'float32');
  return { step: t, params: upd.params, m: upd.m, v: upd.v, metrics: out };
}

function stripKind<T extends { kind: string }>(o: T): Omit<T, 'kind'> {
  const { kind: _, ...rest } = o;
  return rest;
}
