// Test helpers: run an in-graph function on literal arrays, and check its autodiff gradient against float64
// central differences with the engine's gradient checker (house style: every differentiable function gets a
// finite-difference check).
import { evaluate, Rng, type Tensor, type TensorInput } from '@rlhfkit/engine';
import { gradCheck } from '@rlhfkit/engine/testing';
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

/**
 * Assert that autodiff and float64 central differences agree for each input in wrt, through the engine's
 * gradient checker (relative error per element, scaled by the larger of the two magnitudes and 1).
 */
export async function expectGradientsMatch(
  fn: (x: Record<string, Tensor>) => Tensor,
  inputs: Inputs,
  wrt: string[],
  tol = 1e-6,
): Promise<void> {
  const { maxError } = await gradCheck(fn, inputs, { wrt, tol });
  expect(maxError).toBeLessThanOrEqual(tol);
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

/** A seeded uniform generator on [0, 1) (the engine's Rng), so property tests are reproducible. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** n uniform numbers in [lo, hi) from a generator. */
export const uniform = (next: () => number, n: number, lo = -1, hi = 1): number[] =>
  Array.from({ length: n }, () => lo + (hi - lo) * next());
