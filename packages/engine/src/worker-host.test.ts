import { describe, expect, it } from 'vitest';
import { add, matmul, Program, reduceSum, WorkerHost } from './index.js';

describe('WorkerHost', () => {
  it('runs a program on a worker thread and returns the same outputs as the main thread', async () => {
    const p = Program.compile({ a: { shape: [64, 64] }, b: { shape: [64, 64] } }, ({ a, b }) => ({
      y: reduceSum(add(matmul(a!, b!), 1), 1),
    }));
    const a = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 4096 }, (_, i) => Math.cos(i));
    const host = new WorkerHost();
    try {
      const run = await host.load(p);
      const remote = await run({ a: { data: a }, b: { data: b } });
      const local = await p.run({ a: { data: a }, b: { data: b } });
      expect(remote['y']!.shape).toEqual([64]);
      expect(Array.from(remote['y']!.data as Float32Array)).toEqual(
        Array.from(local['y']!.data as Float32Array),
      );
    } finally {
      await host.close();
    }
  });

  it('keeps the main thread free while the worker computes', async () => {
    const n = 768;
    const p = Program.compile({ a: { shape: [n, n] } }, ({ a }) => {
      let x = a!;
      for (let i = 0; i < 40; i++) x = matmul(x, a!);
      return { y: reduceSum(x) };
    });
    const host = new WorkerHost();
    try {
      const run = await host.load(p);
      const a = new Float32Array(n * n).fill(1 / n);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      await run({ a: { data: a } });
      clearInterval(timer);
      // 40 matmuls of 768³ take well over 50 ms here; a blocked event loop would tick at most once.
      expect(ticks).toBeGreaterThan(3);
    } finally {
      await host.close();
    }
  });
});
