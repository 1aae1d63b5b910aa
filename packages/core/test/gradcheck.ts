// Test helpers: run an in-graph function on literal arrays, and check its autodiff gradient against float64
// central differences (house style: every differentiable function gets a finite-difference check).
import { evaluate, Program, type Tensor, type TensorInput, valueAndGrad } from '@rlhfkit/engine';
import { expect } from 'vitest';

export type Inputs = Record<string, TensorInput>;

/** A float64 input of the given shape. */
export const f64 = (data: ArrayLike<number>, shape: number[]): TensorInput => ({
  data,
  shape,
  dtype: 'float64',
});

/** An int64 input (token ids). */
export const i64 = (data: ArrayLike<number>, shape: number[]): TensorInput => ({
  data,
  shape,
  dtype: 'int64',
});

/** Evaluate fn and return its output as a plain number array. */
export async function run(fn: (x: Record<string, Tensor>) => Tensor, inputs: Inputs): Promise<number[]> {
  const r = await evaluate(fn, inputs);
  return Array.from(r.data as ArrayLike<number>, Number);
}

/** Evaluate fn returning a scalar, as a number. */
export async function runScalar(fn: (x: Record<string, Tensor>) => Tensor, inputs: Inputs): Promise<number> {
  const [v] = await run(fn, inputs);
  return v!;
}

/** Central-difference gradient of a scalar fn with respect to one float64 input, from one compiled program. */
export async function numericGrad(
  fn: (x: Record<string, Tensor>) => Tensor,
  inputs: Inputs,
  wrt: string,
  eps = 1e-6,
): Promise<Float64Array> {
  const specs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { shape: v.shape, ...dt(v) }]));
  const program = Program.compile(specs, (x) => ({ y: fn(x) }));
  const base = Float64Array.from(inputs[wrt]!.data);
  const at = async (data: Float64Array) => {
    const out = await program.run({ ...inputs, [wrt]: { data, shape: inputs[wrt]!.shape } });
    return Number(out['y']!.data[0]);
  };
  const g = new Float64Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i] = base[i]! + eps;
    minus[i] = base[i]! - eps;
    g[i] = ((await at(plus)) - (await at(minus))) / (2 * eps);
  }
  return g;
}

const dt = (v: TensorInput) => (v.dtype ? { dtype: v.dtype } : {});

/**
 * Assert that autodiff and central differences agree for each input in wrt, to a relative tolerance
 * (scaled by the larger of the gradient's magnitude and 1).
 */
export async function expectGradientsMatch(
  fn: (x: Record<string, Tensor>) => Tensor,
  inputs: Inputs,
  wrt: string[],
  tol = 1e-6,
): Promise<void> {
  const { grads } = await valueAndGrad(fn, inputs, { wrt });
  for (const k of wrt) {
    const numeric = await numericGrad(fn, inputs, k);
    const analytic = grads[k]!;
    const scale = Math.max(1, ...Array.from(numeric, Math.abs));
    for (let i = 0; i < numeric.length; i++) {
      const err = Math.abs(analytic[i]! - numeric[i]!) / scale;
      expect(err, `d/d${k}[${i}]: autodiff ${analytic[i]} vs numeric ${numeric[i]}`).toBeLessThan(tol);
    }
  }
}

/** Assert two arrays agree elementwise to an absolute-plus-relative tolerance. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-9): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    expect(Math.abs(a - e), `[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

/** A seeded uniform generator on [0, 1) (mulberry32), so property tests are reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform numbers in [lo, hi) from a generator. */
export const uniform = (next: () => number, n: number, lo = -1, hi = 1): number[] =>
  Array.from({ length: n }, () => lo + (hi - lo) * next());
