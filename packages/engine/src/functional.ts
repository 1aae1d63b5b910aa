import { grad as autodiffGrad } from './autodiff.js';
import type { DType, HostArray } from './dtype.js';
import type { Tensor } from './graph.js';
import { Program } from './program.js';
import type { RuntimeOptions } from './runtime.js';

export interface TensorInput {
  data: ArrayLike<number>;
  shape: number[];
  /** float32 when omitted; float64 inputs compute in float64. */
  dtype?: DType;
}

export interface TensorValue {
  data: HostArray;
  shape: number[];
}

type Fn<R> = (x: Record<string, Tensor>) => R;

function specsOf(inputs: Record<string, TensorInput>) {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, { shape: v.shape, dtype: v.dtype ?? ('float32' as DType) }]),
  );
}

/**
 * Trace fn on symbolic tensors named like inputs, run it once through ONNX Runtime, and return its outputs.
 * A single returned tensor comes back as one value; a record comes back as a record.
 */
export async function evaluate<R extends Tensor | Record<string, Tensor>>(
  fn: Fn<R>,
  inputs: Record<string, TensorInput>,
  options: RuntimeOptions = {},
): Promise<R extends Tensor ? TensorValue : Record<keyof R, TensorValue>> {
  let single = false;
  const program = Program.compile(
    specsOf(inputs),
    (x) => {
      const r = fn(x);
      single = isTensor(r);
      return single ? { out: r as Tensor } : (r as Record<string, Tensor>);
    },
    options,
  );
  const res = await program.run(inputs);
  const strip = (v: { data: HostArray; shape: number[] }): TensorValue => ({ data: v.data, shape: v.shape });
  if (single) return strip(res['out']!) as never;
  return Object.fromEntries(Object.entries(res).map(([k, v]) => [k, strip(v)])) as never;
}

/**
 * The value of a scalar function and its gradients with respect to float inputs (all of them, or wrt).
 */
export async function valueAndGrad(
  fn: Fn<Tensor>,
  inputs: Record<string, TensorInput>,
  opts: { wrt?: string[] } & RuntimeOptions = {},
): Promise<{ value: number; grads: Record<string, Float32Array | Float64Array> }> {
  const floats = Object.keys(inputs).filter((k) =>
    ['float32', 'float64', undefined].includes(inputs[k]!.dtype),
  );
  const wrt = opts.wrt ?? floats;
  for (const k of wrt) {
    if (!floats.includes(k)) throw new Error(`valueAndGrad: wrt '${k}' is not a float input`);
  }
  const program = Program.compile(
    specsOf(inputs),
    (x) => {
      const y = fn(x);
      if (y.size !== 1) throw new Error(`valueAndGrad: fn must return a scalar, got ${y}`);
      const gs = autodiffGrad(
        y,
        wrt.map((k) => x[k]!),
      );
      return { value: y, ...Object.fromEntries(wrt.map((k, i) => [`grad_${k}`, gs[i]!])) };
    },
    opts,
  );
  const res = await program.run(inputs);
  const grads: Record<string, Float32Array | Float64Array> = {};
  for (const k of wrt) grads[k] = res[`grad_${k}`]!.data as Float32Array | Float64Array;
  return { value: Number(res['value']!.data[0]), grads };
}

const isTensor = (r: unknown): r is Tensor =>
  typeof r === 'object' && r !== null && 'kind' in r && 'shape' in r && 'graph' in r;
