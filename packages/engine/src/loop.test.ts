import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import {
  add,
  cast,
  constant,
  evaluate,
  gather,
  loop,
  mul,
  Program,
  reduceSum,
  reshape,
  valueAndGrad,
} from './index.js';
import { f64 } from './testing/gradcheck.js';

const values = (t: { data: ArrayLike<number | bigint> }) => Array.from(t.data, Number);

describe('loop', () => {
  it('stacks scans along a new leading axis, one row per iteration', async () => {
    const r = await evaluate(
      ({ x }) => {
        const { scans } = loop(4, [x!], (iter, [c]) => {
          const i = cast(iter, 'float64'); // int64 scalar → float64
          return { carried: [c!], scans: [mul(c!, i), reshape(i, [1])] };
        });
        return { scaled: scans[0]!, iters: scans[1]! };
      },
      { x: f64([1, 2], [2]) },
    );
    expect(r.scaled.shape).toEqual([4, 2]);
    expect(values(r.scaled)).toEqual([0, 0, 1, 2, 2, 4, 3, 6]);
    expect(r.iters.shape).toEqual([4, 1]);
    expect(values(r.iters)).toEqual([0, 1, 2, 3]);
  });

  it('threads carried values through the iterations', async () => {
    // (a, b) ← (b, a + b) five times from (0, 1): Fibonacci.
    const r = await evaluate(
      ({ a, b }) => {
        const { carried } = loop(5, [a!, b!], (_i, [a, b]) => ({ carried: [b!, add(a!, b!)] }));
        return { a5: carried[0]!, b5: carried[1]! };
      },
      { a: f64([0], []), b: f64([1], []) },
    );
    expect([...values(r.a5), ...values(r.b5)]).toEqual([5, 8]);
  });

  it('lets the body read tensors of the enclosing program: inputs and computed tensors', async () => {
    const r = await evaluate(
      ({ x, w }) => {
        const w2 = mul(w!, 2); // computed outside the loop, used only inside it
        const { carried } = loop(3, [x!], (_i, [c]) => ({ carried: [add(mul(c!, w2), w!)] }));
        return carried[0]!;
      },
      { x: f64([1, -1], [2]), w: f64([1, 0.5], [2]) },
    );
    // c ← 2w·c + w, three times: column 0 → 3, 7, 15; column 1 → −0.5, 0, 0.5.
    expect(values(r)).toEqual([15, 0.5]);
  });

  it('returns one body tensor as a carried value and as two scans, and a carried input unchanged', async () => {
    const r = await evaluate(
      ({ x, y }) => {
        const { carried, scans } = loop(3, [x!, y!], (_i, [c, same]) => {
          const next = mul(c!, 2);
          return { carried: [next, same!], scans: [next, next] };
        });
        return { c: carried[0]!, same: carried[1]!, s0: scans[0]!, s1: scans[1]! };
      },
      { x: f64([1], []), y: f64([7], []) },
    );
    expect([values(r.c), values(r.same), values(r.s0), values(r.s1)]).toEqual([
      [8],
      [7],
      [2, 4, 8],
      [2, 4, 8],
    ]);
  });

  it('lets the body read a tensor that is also a program output', async () => {
    const r = await evaluate(
      ({ x }) => {
        const w = mul(x!, 3); // an output of the program, and read inside the loop
        const { carried } = loop(2, [x!], (_i, [c]) => ({ carried: [add(c!, w)] }));
        return { w, out: carried[0]! };
      },
      { x: f64([1, 2], [2]) },
    );
    expect([values(r.w), values(r.out)]).toEqual([
      [3, 6],
      [7, 14],
    ]);
  });

  it('runs a loop inside a loop body', async () => {
    const r = await evaluate(
      ({ x }) => {
        const { carried } = loop(3, [x!], (_i, [c]) => {
          const inner = loop(2, [c!], (_j, [d]) => ({ carried: [add(d!, x!)] }));
          return { carried: [mul(inner.carried[0]!, 2)] };
        });
        return carried[0]!;
      },
      { x: f64([1], []) },
    );
    expect(values(r)).toEqual([2 * (2 * (2 * 3 + 2) + 2)]); // c ← 2(c + 2x): 6, 16, 36
  });

  it('reads a per-iteration slice of a stacked input through iter', async () => {
    const program = Program.compile({ xs: { shape: [3, 2], dtype: 'float64' } }, ({ xs }) => {
      const zero = mul(gather(xs!, constant([0], [], 'int64'), 0), 0); // (2)
      const { carried, scans } = loop(3, [zero], (iter, [acc]) => {
        const row = gather(xs!, iter, 0); // (2): row iter of xs
        return { carried: [add(acc!, row)], scans: [row] };
      });
      return { total: carried[0]!, rows: scans[0]! };
    });
    const out = await program.run({ xs: { data: [1, 2, 3, 4, 5, 6] } });
    expect(values(out['total']!)).toEqual([9, 12]);
    expect(values(out['rows']!)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a body that changes the shape, dtype or number of carried tensors', () => {
    const specs = { x: { shape: [2], dtype: 'float64' as const } };
    expect(() =>
      Program.compile(specs, ({ x }) => ({
        y: loop(2, [x!], (_i, [c]) => ({ carried: [reshape(c!, [1, 2])] })).carried[0]!,
      })),
    ).toThrow(/loop: carried tensor 0 changed from .*\[2\] to .*\[1,2\]/);
    expect(() =>
      Program.compile(specs, ({ x }) => ({
        y: loop(2, [x!], (_i, [c]) => ({ carried: [cast(c!, 'float32')] })).carried[0]!,
      })),
    ).toThrow(/loop: carried tensor 0 changed/);
    expect(() =>
      Program.compile(specs, ({ x }) => ({
        y: loop(2, [x!], (_i, [c]) => ({ carried: [c!, c!] })).carried[0]!,
      })),
    ).toThrow(/loop: body returned 2 carried tensors, expected 1/);
  });

  it('rejects a trip count that is not a positive integer', () => {
    const specs = { x: { shape: [2] } };
    for (const trips of [0, -1, 1.5]) {
      expect(() =>
        Program.compile(specs, ({ x }) => ({
          y: loop(trips, [x!], (_i, c) => ({ carried: c })).carried[0]!,
        })),
      ).toThrow(/loop: trips must be a positive integer/);
    }
  });

  it('refuses to be differentiated through, naming the op', async () => {
    const fn = ({ x }: Record<string, Tensor>) =>
      reduceSum(loop(2, [x!], (_i, [c]) => ({ carried: [mul(c!, c!)] })).carried[0]!);
    await expect(valueAndGrad(fn, { x: f64([1.5], [1]) })).rejects.toThrow("no gradient rule for op 'loop'");
  });
});
