import { describe, expect, it } from 'vitest';
import {
  add,
  type FloatArray,
  lrAt,
  matmul,
  mul,
  Rng,
  reduceMean,
  sub,
  Trainer,
  type TrainerConfig,
  tanh,
} from './index.js';

const [N, IN, HID] = [16, 3, 8];
const uniform = (n: number, scale: number, seed: number) => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r.next() - 1));
};

/** A 2-layer tanh MLP regression, with an extra metric. */
function config(overrides: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    params: { w1: { shape: [IN, HID] }, b1: { shape: [HID] }, w2: { shape: [HID, 1] }, b2: { shape: [1] } },
    batch: { x: { shape: [N, IN] }, y: { shape: [N, 1] } },
    loss: (p, b) => {
      const h = tanh(add(matmul(b['x']!, p['w1']!), p['b1']!)); // (N, HID)
      const out = add(matmul(h, p['w2']!), p['b2']!); // (N, 1)
      const err = sub(out, b['y']!);
      return { loss: reduceMean(mul(err, err)), metrics: { pred_mean: reduceMean(out) } };
    },
    optimizer: { kind: 'adamw', weightDecay: 0.05 },
    schedule: { kind: 'cosine', lr: 0.05, warmupSteps: 3, totalSteps: 8, minLr: 0.005 },
    maxGradNorm: 0.5,
    ...overrides,
  };
}
const init = () => ({
  w1: uniform(IN * HID, 0.8, 1),
  b1: uniform(HID, 0.1, 2),
  w2: uniform(HID, 0.5, 3),
  b2: uniform(1, 0.1, 4),
});

/** Batches for `steps` steps: x random, y = sin(x0) + x1·x2. */
function batches(steps: number) {
  const xs = uniform(steps * N * IN, 1.5, 5);
  const ys = new Float32Array(steps * N);
  for (let i = 0; i < steps * N; i++) ys[i] = Math.sin(xs[3 * i]!) + xs[3 * i + 1]! * xs[3 * i + 2]!;
  return { xs, ys };
}

function maxDiff(a: FloatArray, b: FloatArray): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('Trainer', () => {
  it('gives the same parameters, state and metrics running K steps per run through Loop as K single-step runs', async () => {
    const K = 4;
    const runs = 2;
    const { xs, ys } = batches(K * runs);
    const looped = Trainer.create(config({ stepsPerRun: K }), init());
    const single = Trainer.create(config(), init());
    const loopedMetrics: Record<string, number[]> = {};
    const singleMetrics: Record<string, number[]> = {};
    const collect = (into: Record<string, number[]>, m: Record<string, number[]>) => {
      for (const [k, v] of Object.entries(m)) into[k] = [...(into[k] ?? []), ...v];
    };
    for (let r = 0; r < runs; r++) {
      const at = r * K;
      const m = await looped.run({
        x: { data: xs.subarray(at * N * IN, (at + K) * N * IN) },
        y: { data: ys.subarray(at * N, (at + K) * N) },
      });
      expect(m['loss']).toHaveLength(K);
      collect(loopedMetrics, m);
    }
    for (let s = 0; s < K * runs; s++) {
      const m = await single.run({
        x: { data: xs.subarray(s * N * IN, (s + 1) * N * IN) },
        y: { data: ys.subarray(s * N, (s + 1) * N) },
      });
      expect(m['loss']).toHaveLength(1);
      collect(singleMetrics, m);
    }
    expect(looped.state.step).toBe(K * runs);
    expect(single.state.step).toBe(K * runs);
    for (const n of looped.names) {
      expect(maxDiff(looped.state.params[n]!, single.state.params[n]!)).toBeLessThan(1e-6);
      expect(maxDiff(looped.state.m[n]!, single.state.m[n]!)).toBeLessThan(1e-6);
      expect(maxDiff(looped.state.v[n]!, single.state.v[n]!)).toBeLessThan(1e-6);
    }
    expect(Object.keys(loopedMetrics).sort()).toEqual(['grad_norm', 'loss', 'lr', 'pred_mean']);
    expect(Object.keys(singleMetrics).sort()).toEqual(['grad_norm', 'loss', 'lr', 'pred_mean']);
    for (const k of Object.keys(loopedMetrics)) {
      loopedMetrics[k]!.forEach((v, i) => {
        expect(Math.abs(v - singleMetrics[k]![i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
      });
    }
  });

  it('reports loss, grad_norm and the scheduled lr, and lowers the loss while changing every parameter', async () => {
    const K = 8;
    const { xs, ys } = batches(1);
    const x = new Float32Array(K * N * IN);
    const y = new Float32Array(K * N);
    for (let k = 0; k < K; k++) {
      x.set(xs, k * N * IN);
      y.set(ys, k * N);
    }
    const start = init();
    const trainer = Trainer.create(config({ stepsPerRun: K, maxGradNorm: 10 }), start);
    const m = await trainer.run({ x: { data: x }, y: { data: y } });
    const sched = config().schedule;
    m['lr']!.forEach((lr, i) => {
      expect(lr).toBeCloseTo(lrAt(i + 1, sched), 7);
    });
    expect(m['grad_norm']!.every((g) => Number.isFinite(g) && g > 0)).toBe(true);
    expect(m['loss']!.every(Number.isFinite)).toBe(true);
    expect(m['loss']![K - 1]!).toBeLessThan(0.8 * m['loss']![0]!);
    for (const n of trainer.names)
      expect(maxDiff(trainer.state.params[n]!, start[n as keyof typeof start])).toBeGreaterThan(1e-4);
  });

  it('clips: the reported grad_norm is the norm before clipping, and the update is the same as with a scaled loss', async () => {
    // With Adam the update is scale-invariant, so compare SGD: clipping to c equals scaling the loss by c / ‖g‖.
    const sgd = { kind: 'sgd' as const };
    const { xs, ys } = batches(1);
    const feeds = { x: { data: xs }, y: { data: ys } };
    const constant = { kind: 'constant' as const, lr: 0.1 };
    const free = Trainer.create(config({ optimizer: sgd, schedule: constant, maxGradNorm: 1e9 }), init());
    const norm = (await free.run(feeds))['grad_norm']![0]!;
    const clipped = Trainer.create(
      config({ optimizer: sgd, schedule: constant, maxGradNorm: norm / 4 }),
      init(),
    );
    const reported = (await clipped.run(feeds))['grad_norm']![0]!;
    expect(reported).toBeCloseTo(norm, 4);
    const start = init();
    for (const n of free.names) {
      const s = start[n as keyof typeof start];
      const dFree = free.state.params[n]!.map((v, i) => v - s[i]!);
      const dClip = clipped.state.params[n]!.map((v, i) => v - s[i]!);
      dFree.forEach((d, i) => {
        expect(dClip[i]!).toBeCloseTo(d / 4, 5);
      });
    }
  });

  it('with SGD and momentum, keeps the momentum buffer in m', async () => {
    const { xs, ys } = batches(1);
    const feeds = { x: { data: xs }, y: { data: ys } };
    const cfg = config({
      optimizer: { kind: 'sgd', momentum: 0.9 },
      schedule: { kind: 'constant', lr: 0.01 },
    });
    delete cfg.maxGradNorm;
    const t = Trainer.create(cfg, init());
    await t.run(feeds);
    const first = Float32Array.from(t.state.m['w1']!);
    const before = Float32Array.from(t.state.params['w1']!);
    await t.run(feeds);
    // buf₂ = 0.9·buf₁ + g₂ and p₂ = p₁ − lr·buf₂.
    const buf2 = t.state.m['w1']!;
    before.forEach((p, i) => {
      expect(t.state.params['w1']![i]!).toBeCloseTo(p - 0.01 * buf2[i]!, 6);
    });
    expect(maxDiff(buf2, first)).toBeGreaterThan(0);
  });

  it('trains float64 parameters in float64', async () => {
    const { xs, ys } = batches(1);
    const batch = {
      x: { shape: [N, IN], dtype: 'float64' as const },
      y: { shape: [N, 1], dtype: 'float64' as const },
    };
    const t = Trainer.create(config({ dtype: 'float64', batch }), init());
    const m = await t.run({ x: { data: xs }, y: { data: ys } });
    expect(t.state.params['w1']).toBeInstanceOf(Float64Array);
    expect(Number.isFinite(m['loss']![0]!)).toBe(true);
  });

  it('rejects missing or wrongly sized initial values', () => {
    const { w1: _, ...rest } = init();
    expect(() => Trainer.create(config(), rest as never)).toThrow(/no initial value for parameter 'w1'/);
    expect(() => Trainer.create(config(), { ...init(), b2: new Float32Array(3) })).toThrow(
      /'b2' has 3 values, expected 1/,
    );
  });
});
