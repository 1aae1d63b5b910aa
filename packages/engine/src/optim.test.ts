import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import {
  adamw,
  clipGradNorm,
  globalNorm,
  type LrSchedule,
  lrAt,
  Program,
  scheduledLr,
  sgd,
} from './index.js';

const close = (xs: ArrayLike<number>, digits: number) => Array.from(xs, (v) => expect.closeTo(v, digits));
/** A program output as plain numbers. */
const nums = (t: { data: ArrayLike<number | bigint> }) => Array.from(t.data, Number);
const f64 = (shape: number[]) => ({ shape, dtype: 'float64' as const });

// Two parameters: a matrix (decayed) and a bias (exempt), with non-zero moments from earlier steps.
const W = [0.5, -1.2, 2.0, 0.1];
const b = [0.3, -0.7];
const gW = [0.1, -0.4, 0.05, 2.5];
const gb = [-0.2, 0.6];
const mW = [0.01, -0.02, 0.03, 0.2];
const mb = [0.0, 0.05];
const vW = [1e-3, 2e-3, 5e-4, 0.4];
const vb = [1e-4, 3e-3];

/** One AdamW step by hand, the way the paper and PyTorch write it. */
function adamwRef(p: number[], g: number[], m: number[], v: number[], t: number, lr: number, decay: boolean) {
  const [b1, b2, eps, wd] = [0.9, 0.95, 1e-8, 0.1];
  const m2 = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
  const v2 = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
  const p2 = p.map((pi, i) => {
    const mhat = m2[i]! / (1 - b1 ** t);
    const vhat = v2[i]! / (1 - b2 ** t);
    return pi - lr * (mhat / (Math.sqrt(vhat) + eps)) - (decay ? lr * wd * pi : 0);
  });
  return { p: p2, m: m2, v: v2 };
}

describe('adamw', () => {
  it('takes one step with bias correction and decoupled weight decay on decayed parameters only', async () => {
    const program = Program.compile(
      {
        W: f64([2, 2]),
        b: f64([2]),
        gW: f64([2, 2]),
        gb: f64([2]),
        mW: f64([2, 2]),
        mb: f64([2]),
        vW: f64([2, 2]),
        vb: f64([2]),
        step: f64([]),
        lr: f64([]),
      },
      (x) => {
        const cfg = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
        const r = adamw(
          [x['W']!, x['b']!],
          [x['gW']!, x['gb']!],
          [x['mW']!, x['mb']!],
          [x['vW']!, x['vb']!],
          x['step']!,
          x['lr']!,
          cfg,
          [true, false],
        );
        return { newW: r.params[0]!, newB: r.params[1]!, newMW: r.m[0]!, newVB: r.v[1]! };
      },
    );
    const t = 3;
    const lr = 0.01;
    const feeds = { W, b, gW, gb, mW, mb, vW, vb, step: [t], lr: [lr] };
    const out = await program.run(
      Object.fromEntries(Object.entries(feeds).map(([k, data]) => [k, { data }])),
    );
    const refW = adamwRef(W, gW, mW, vW, t, lr, true);
    const refB = adamwRef(b, gb, mb, vb, t, lr, false);
    expect(nums(out['newW']!)).toEqual(close(refW.p, 14));
    expect(nums(out['newB']!)).toEqual(close(refB.p, 14));
    expect(nums(out['newMW']!)).toEqual(close(refW.m, 15));
    expect(nums(out['newVB']!)).toEqual(close(refB.v, 15));
    // The exemption matters: the decayed update of b would differ by lr·wd·b.
    const decayedB = adamwRef(b, gb, mb, vb, t, lr, true).p;
    expect(Math.abs(Number(out['newB']!.data[0]) - decayedB[0]!)).toBeGreaterThan(1e-5);
  });

  it('moves each parameter by about lr on the first step (bias correction undoes the zero moments)', async () => {
    const program = Program.compile({ p: f64([3]), g: f64([3]), z: f64([3]), step: f64([]) }, (x) => {
      const lr = x['step']!; // step 1 and lr 1, one input
      return { next: adamw([x['p']!], [x['g']!], [x['z']!], [x['z']!], x['step']!, lr).params[0]! };
    });
    const out = await program.run({
      p: { data: [0, 0, 0] },
      g: { data: [1e-3, -5, 0.2] },
      z: { data: [0, 0, 0] },
      step: { data: [1] },
    });
    expect(nums(out['next']!)).toEqual(close([-1, 1, -1], 4));
  });
});

describe('sgd', () => {
  const specs = { p: f64([3]), g: f64([3]), buf: f64([3]), lr: f64([]) };
  const feeds = {
    p: { data: [1, 2, 3] },
    g: { data: [0.5, -1, 2] },
    buf: { data: [0.2, 0.4, -0.6] },
    lr: { data: [0.1] },
  };

  it('with momentum μ: buf ← μ·buf + g, p ← p − lr·buf', async () => {
    const program = Program.compile(specs, (x) => {
      const r = sgd([x['p']!], [x['g']!], x['lr']!, 0.9, [x['buf']!]);
      return { next: r.params[0]!, nextBuf: r.buf[0]! };
    });
    const out = await program.run(feeds);
    const buf = [0.9 * 0.2 + 0.5, 0.9 * 0.4 - 1, 0.9 * -0.6 + 2];
    expect(nums(out['nextBuf']!)).toEqual(close(buf, 15));
    expect(nums(out['next']!)).toEqual(
      close(
        [1, 2, 3].map((p, i) => p - 0.1 * buf[i]!),
        15,
      ),
    );
  });

  it('without momentum: p ← p − lr·g', async () => {
    const program = Program.compile(specs, (x) => ({ next: sgd([x['p']!], [x['g']!], x['lr']!).params[0]! }));
    const out = await program.run(feeds);
    expect(nums(out['next']!)).toEqual(close([0.95, 2.1, 2.8], 15));
  });
});

describe('clipGradNorm', () => {
  // Gradients [3, 4] and [12]: global norm 13.
  const clip = (maxNorm: number) =>
    Program.compile({ a: f64([2]), b: f64([1]) }, (x) => {
      const r = clipGradNorm([x['a']!, x['b']!], maxNorm);
      return { ca: r.grads[0]!, cb: r.grads[1]!, norm: r.norm, again: globalNorm(r.grads) };
    }).run({ a: { data: [3, 4] }, b: { data: [12] } });

  it('reports the pre-clip global norm and leaves gradients under the limit untouched', async () => {
    const out = await clip(26);
    expect(Number(out['norm']!.data[0])).toBeCloseTo(13, 5);
    expect([...out['ca']!.data, ...out['cb']!.data]).toEqual([3, 4, 12]);
  });

  it('scales every gradient by maxNorm / norm when the norm is above it', async () => {
    const out = await clip(6.5);
    expect(Number(out['norm']!.data[0])).toBeCloseTo(13, 5);
    expect([...out['ca']!.data, ...out['cb']!.data]).toEqual(close([1.5, 2, 6], 5));
    expect(Number(out['again']!.data[0])).toBeCloseTo(6.5, 5);
  });
});

describe('scheduledLr', () => {
  const cosine: LrSchedule = { kind: 'cosine', lr: 1e-3, warmupSteps: 10, totalSteps: 100, minLr: 1e-4 };
  const steps = [1, 5, 9.5, 10, 11, 30, 55, 99, 100, 101, 250];
  const inGraph = async (s: LrSchedule, dtype: 'float32' | 'float64') => {
    const program = Program.compile({ step: { shape: [steps.length], dtype } }, (x) => ({
      lr: scheduledLr(x['step']! as Tensor, s),
    }));
    return Array.from((await program.run({ step: { data: steps } }))['lr']!.data, Number);
  };

  it('equals lrAt on the host through warmup, cosine decay and after the last step (float64)', async () => {
    expect(await inGraph(cosine, 'float64')).toEqual(
      close(
        steps.map((t) => lrAt(t, cosine)),
        15,
      ),
    );
  });

  it('equals lrAt to float32 precision in a float32 graph', async () => {
    const got = await inGraph(cosine, 'float32');
    got.forEach((v, i) => {
      expect(Math.abs(v - lrAt(steps[i]!, cosine))).toBeLessThan(1e-9);
    });
  });

  it('has the expected shape: linear warmup to the peak, minLr at and after totalSteps', () => {
    expect(lrAt(5, cosine)).toBeCloseTo(5e-4, 15);
    expect(lrAt(10, cosine)).toBeCloseTo(1e-3, 15);
    expect(lrAt(55, cosine)).toBeCloseTo(5.5e-4, 15); // halfway through the decay
    expect(lrAt(100, cosine)).toBeCloseTo(1e-4, 15);
    expect(lrAt(1000, cosine)).toBeCloseTo(1e-4, 15);
  });

  it('is the peak at every step for a constant schedule', async () => {
    const constant: LrSchedule = { kind: 'constant', lr: 3e-4 };
    const program = Program.compile({ step: { shape: [] } }, (x) => ({
      lr: scheduledLr(x['step']!, constant),
    }));
    const out = await program.run({ step: { data: [7] } });
    expect(Number(out['lr']!.data[0])).toBeCloseTo(3e-4, 10);
    expect(lrAt(7, constant)).toBe(3e-4);
  });
});
