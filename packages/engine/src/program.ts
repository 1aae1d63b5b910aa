import { type DType, type HostArray, sizeOf, toHostArray } from './dtype.js';
import { emitModel } from './emit.js';
import { Graph, type Tensor, withGraph } from './graph.js';
import { getSession, type HostTensor, type RuntimeOptions, type Session } from './runtime.js';

export interface InputSpec {
  shape: readonly number[];
  /** float32 when omitted. */
  dtype?: DType;
}

export interface Feed {
  data: ArrayLike<number> | HostArray;
  shape?: readonly number[];
}

/**
 * A compiled tensor program: traced once from a TypeScript function, emitted as ONNX, and run many times.
 * Every run is one session.run: inputs in, named outputs out.
 */
export class Program {
  private session: Promise<Session> | null = null;

  private constructor(
    readonly model: Uint8Array,
    readonly inputs: Readonly<Record<string, Required<InputSpec>>>,
    readonly outputs: Readonly<Record<string, { dtype: DType; shape: readonly number[] }>>,
    private readonly options: RuntimeOptions,
  ) {}

  /** Trace fn over symbolic inputs and compile the result. fn returns named output tensors. */
  static compile(
    inputs: Record<string, InputSpec>,
    fn: (x: Record<string, Tensor>) => Record<string, Tensor>,
    options: RuntimeOptions = {},
  ): Program {
    const g = new Graph();
    const specs: Record<string, Required<InputSpec>> = {};
    const outs = withGraph(g, () => {
      const xs: Record<string, Tensor> = {};
      for (const [name, s] of Object.entries(inputs)) {
        specs[name] = { shape: [...s.shape], dtype: s.dtype ?? 'float32' };
        xs[name] = g.input(name, s.dtype ?? 'float32', s.shape);
      }
      return fn(xs);
    });
    const outSpecs: Record<string, { dtype: DType; shape: readonly number[] }> = {};
    for (const [k, t] of Object.entries(outs)) outSpecs[k] = { dtype: t.dtype, shape: t.shape };
    return new Program(emitModel(g, outs), specs, outSpecs, options);
  }

  /** Create the session now (it is otherwise created on the first run). */
  async load(): Promise<Session> {
    this.session ??= getSession(this.model, this.options);
    return this.session;
  }

  async run(feeds: Record<string, Feed>): Promise<Record<string, HostTensor>> {
    const session = await this.load();
    return session.run(this.prepare(feeds));
  }

  /** Check feeds against the input specs and convert them to host arrays. */
  prepare(feeds: Record<string, Feed>): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const [name, spec] of Object.entries(this.inputs)) {
      const f = feeds[name];
      if (!f) throw new Error(`program input '${name}' was not given`);
      const shape = f.shape ? [...f.shape] : [...spec.shape];
      if (shape.join() !== spec.shape.join()) {
        throw new Error(`program input '${name}' has shape [${shape}], expected [${spec.shape}]`);
      }
      if (f.data.length !== sizeOf(shape)) {
        throw new Error(`program input '${name}' has ${f.data.length} values, expected ${sizeOf(shape)}`);
      }
      out[name] = { data: toHostArray(f.data, spec.dtype), shape, dtype: spec.dtype };
    }
    for (const name of Object.keys(feeds)) {
      if (!(name in this.inputs)) throw new Error(`program has no input '${name}'`);
    }
    return out;
  }
}
