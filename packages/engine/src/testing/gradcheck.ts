/**
 * The gradient checker: float64 central differences through ONNX Runtime against autodiff. The testing entry
 * of the engine (`@rlhfkit/engine/testing`), for every package's tests; not part of the main API.
 */
import type { DType } from '../dtype.js';
import { mul } from '../elementwise.js';
import { valueAndGrad } from '../functional.js';
import { currentGraph, type Tensor } from '../graph.js';
import { Program } from '../program.js';
import { reduceSum } from '../reduce.js';
import { Rng } from '../rng.js';
import { cast } from '../shape.js';

export interface TestInput {
  data: ArrayLike<number>;
  shape: number[];
  dtype?: DType;
}

export interface GradCheckOptions {
  /** Inputs to differentiate; every float input when omitted. */
  wrt?: string[];
  /** Central-difference step. */
  eps?: number;
  /** Largest allowed error, |analytic - numeric| / max(1, |analytic|, |numeric|). */
  tol?: number;
  /** Seed of the fixed random output weighting. */
  seed?: number;
}

export interface GradCheckResult {
  value: number;
  analytic: Record<string, Float64Array>;
  numeric: Record<string, Float64Array>;
  maxError: number;
}

/** A float64 test input with values uniform in [lo, hi). */
export function uniform(shape: number[], lo = -1, hi = 1, seed = 1): TestInput {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Array.from({ length: n }, () => lo + (hi - lo) * r.next()), shape, dtype: 'float64' };
}

/** A float64 test input from literal values. */
export const f64 = (data: number[], shape: number[]): TestInput => ({ data, shape, dtype: 'float64' });

/**
 * Check the gradients of fn against central differences. fn may return a tensor of any shape: it is reduced
 * to L = sum(w * fn(x)) with fixed random weights w, so the gradient of every output element takes part.
 * The analytic side is valueAndGrad; the numeric side runs one compiled program of fn on perturbed inputs.
 * Throws naming the input and element when the error is above tol.
 */
export async function gradCheck(
  fn: (x: Record<string, Tensor>) => Tensor,
  inputs: Record<string, TestInput>,
  opts: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const { eps = 1e-6, tol = 1e-6, seed = 7 } = opts;
  const wrt = opts.wrt ?? Object.keys(inputs).filter((k) => inputs[k]!.dtype === 'float64');
  for (const k of wrt) {
    if (inputs[k]?.dtype !== 'float64') throw new Error(`gradCheck: '${k}' must be a float64 input`);
  }

  // 1. the forward program, compiled once; its output shape fixes the weights
  const program = Program.compile(inputs, (x) => ({ gradcheck_out: fn(x) }));
  const out = program.outputs['gradcheck_out']!;
  const r = new Rng(seed);
  const w = Float64Array.from({ length: out.shape.reduce((a, b) => a * b, 1) }, () => 2 * r.next() - 1);
  const objective = async (feeds: Record<string, TestInput>): Promise<number> => {
    const y = (await program.run(feeds))['gradcheck_out']!.data;
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i]! * Number(y[i]);
    return s;
  };

  // 2. analytic gradients of L = sum(w * fn(x))
  const weighted = (x: Record<string, Tensor>) => {
    const y = fn(x);
    const wt = currentGraph().constant(w, y.shape, 'float64');
    return reduceSum(mul(y, cast(wt, y.dtype)));
  };
  const { value, grads } = await valueAndGrad(weighted, inputs, { wrt });

  // 3. numeric gradients, one element at a time
  const analytic: Record<string, Float64Array> = {};
  const numeric: Record<string, Float64Array> = {};
  let maxError = 0;
  let worst = '';
  for (const k of wrt) {
    const base = Float64Array.from(inputs[k]!.data);
    const num = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const at = (v: number) => {
        const d = Float64Array.from(base);
        d[i] = v;
        return objective({ ...inputs, [k]: { ...inputs[k]!, data: d } });
      };
      num[i] = ((await at(base[i]! + eps)) - (await at(base[i]! - eps))) / (2 * eps);
    }
    const ana = Float64Array.from(grads[k]!);
    analytic[k] = ana;
    numeric[k] = num;
    for (let i = 0; i < num.length; i++) {
      const a = ana[i]!;
      const n = num[i]!;
      const err =
        Number.isFinite(a) && Number.isFinite(n)
          ? Math.abs(a - n) / Math.max(1, Math.abs(a), Math.abs(n))
          : Infinity;
      if (err > maxError) {
        maxError = err;
        worst = `${k}[${i}]: analytic ${a}, numeric ${n}`;
      }
    }
  }
  if (!(maxError <= tol))
    throw new Error(`gradCheck: error ${maxError.toExponential(2)} > ${tol} at ${worst}`);
  return { value, analytic, numeric, maxError };
}
