import { describe, expect, it } from 'vitest';
import {
  add,
  causalAttention,
  crossEntropy,
  gather,
  gelu,
  layerNorm,
  matmul,
  mul,
  Rng,
  reduceMean,
  reshape,
  slice,
  sub,
  type Tensor,
  Trainer,
  tanh,
  transpose,
} from '../src/index.js';

/** A seeded normal initialiser. */
function randn(n: number, std: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => std * r.normal());
}

describe('training small models to near-zero loss', () => {
  it('fits a 2-layer MLP to a smooth regression target', async () => {
    const n = 64;
    const xs = randn(n * 2, 1, 1);
    const ys = new Float32Array(n);
    for (let i = 0; i < n; i++) ys[i] = Math.sin(xs[2 * i]!) * Math.cos(xs[2 * i + 1]!);
    const trainer = Trainer.create(
      {
        params: { w1: { shape: [2, 32] }, b1: { shape: [32] }, w2: { shape: [32, 1] }, b2: { shape: [1] } },
        batch: { x: { shape: [n, 2] }, y: { shape: [n, 1] } },
        loss: (p, b) => {
          const h = tanh(add(matmul(b['x']!, p['w1']!), p['b1']!)); // (N, 32)
          const out = add(matmul(h, p['w2']!), p['b2']!); // (N, 1)
          const err = sub(out, b['y']!);
          return { loss: reduceMean(mul(err, err)) };
        },
        schedule: { kind: 'constant', lr: 0.01 },
        stepsPerRun: 50,
      },
      { w1: randn(64, 0.5, 2), b1: new Float32Array(32), w2: randn(32, 0.2, 3), b2: new Float32Array(1) },
    );
    let first = Number.NaN;
    let last = Number.NaN;
    for (let r = 0; r < 30; r++) {
      const x = new Float32Array(50 * n * 2);
      const y = new Float32Array(50 * n);
      for (let k = 0; k < 50; k++) {
        x.set(xs, k * n * 2);
        y.set(ys, k * n);
      }
      const m = await trainer.run({ x: { data: x }, y: { data: y } });
      if (r === 0) first = m['loss']![0]!;
      last = m['loss']![49]!;
    }
    expect(first).toBeGreaterThan(0.05);
    expect(last).toBeLessThan(2e-3);
    expect(trainer.state.step).toBe(1500);
  });

  it('fits a 1-block transformer to memorise next-token sequences', async () => {
    const [B, T, V, C, H] = [4, 8, 16, 32, 2];
    const D = C / H;
    // Four fixed sequences; the model must learn each next token from its prefix.
    const seqs = [...Array(B)].map((_, b) => [...Array(T + 1)].map((_, t) => (b * 3 + t * (b + 1)) % V));
    const inputs = seqs.flatMap((s) => s.slice(0, T));
    const targets = seqs.flatMap((s) => s.slice(1));
    const shapes: Record<string, number[]> = {
      wte: [V, C],
      wpe: [T, C],
      ln1g: [C],
      ln1b: [C],
      wqkv: [C, 3 * C],
      wo: [C, C],
      ln2g: [C],
      ln2b: [C],
      wfc: [C, 4 * C],
      wproj: [4 * C, C],
      lnfg: [C],
      lnfb: [C],
    };
    const init: Record<string, Float32Array> = {};
    let seed = 10;
    for (const [k, s] of Object.entries(shapes)) {
      const size = s.reduce((a, b) => a * b, 1);
      init[k] = k.endsWith('g')
        ? new Float32Array(size).fill(1)
        : k.endsWith('b')
          ? new Float32Array(size)
          : randn(size, 0.1, seed++);
    }
    const heads = (x: Tensor) => transpose(reshape(x, [B, T, H, D]), [0, 2, 1, 3]); // (B, H, T, D)
    const trainer = Trainer.create(
      {
        params: Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { shape: s }])),
        batch: { idx: { shape: [B, T], dtype: 'int64' }, tgt: { shape: [B, T], dtype: 'int64' } },
        loss: (p, b) => {
          const x0 = add(gather(p['wte']!, b['idx']!, 0), p['wpe']!); // (B, T, C)
          const a = layerNorm(x0, p['ln1g']!, p['ln1b']!);
          const qkv = matmul(a, p['wqkv']!); // (B, T, 3C)
          const q = heads(sliceLast(qkv, 0, C));
          const k = heads(sliceLast(qkv, C, 2 * C));
          const v = heads(sliceLast(qkv, 2 * C, 3 * C));
          const att = reshape(transpose(causalAttention(q, k, v), [0, 2, 1, 3]), [B, T, C]);
          const x1 = add(x0, matmul(att, p['wo']!));
          const m = matmul(gelu(matmul(layerNorm(x1, p['ln2g']!, p['ln2b']!), p['wfc']!)), p['wproj']!);
          const x2 = layerNorm(add(x1, m), p['lnfg']!, p['lnfb']!);
          const logits = matmul(x2, transpose(p['wte']!, [1, 0])); // (B, T, V)
          return { loss: reduceMean(crossEntropy(logits, b['tgt']!)) };
        },
        schedule: { kind: 'cosine', lr: 3e-3, warmupSteps: 20, totalSteps: 400, minLr: 3e-4 },
        maxGradNorm: 1,
        stepsPerRun: 100,
      },
      init,
    );
    const idx = new Float64Array(100 * B * T);
    const tgt = new Float64Array(100 * B * T);
    for (let k = 0; k < 100; k++) {
      idx.set(inputs, k * B * T);
      tgt.set(targets, k * B * T);
    }
    let last = Number.NaN;
    let first = Number.NaN;
    for (let r = 0; r < 4; r++) {
      const m = await trainer.run({ idx: { data: idx }, tgt: { data: tgt } });
      if (r === 0) first = m['loss']![0]!;
      last = m['loss']![99]!;
    }
    expect(first).toBeGreaterThan(2); // about ln 16 at the start
    expect(last).toBeLessThan(0.05);
  });
});

const sliceLast = (x: Tensor, a: number, b: number) => slice(x, [a], [b], [x.rank - 1]);
