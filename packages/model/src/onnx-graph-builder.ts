/**
 * A small builder for hand-written ONNX graphs with symbolic (dynamic) dimensions, serialised with the engine's
 * encoder. The engine's tracer only knows static shapes, so graphs that other runtimes drive with growing
 * inputs (the transformers.js decoder export) are written node by node here, as the plain JSON objects
 * onnx-proto.ts encodes.
 */
import { encodeOnnxModel, IR_VERSION, OnnxAttrType, OPSET } from '@rlhfkit/engine';

/** TensorProto.DataType codes of the element types these graphs use. */
export const Elem = { float32: 1, int64: 7, bool: 9 } as const;
export type ElemType = (typeof Elem)[keyof typeof Elem];

/** A dimension: a fixed size, or a symbolic name shared by every input and output that has it. */
export type Dim = number | string;

/** An attribute value, tagged by its ONNX kind. */
export type Attr = { i: number } | { f: number } | { s: string } | { ints: readonly number[] };

/** A single ONNX file holds at most 2 GiB (protobuf's limit); larger models need external data. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** Throw a RangeError when `weightBytes` of initializers (plus room for the graph) exceed one ONNX file. */
export function assertFitsOneFile(weightBytes: number): void {
  if (weightBytes > MAX_MODEL_BYTES - 64 * 2 ** 20) {
    const gib = (weightBytes / 2 ** 30).toFixed(2);
    throw new RangeError(
      `ONNX export: the weights take ${gib} GiB, but a single-file ONNX model holds at most 2 GiB ` +
        '(protobuf limit) and this exporter does not write external data; export a smaller model',
    );
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of a float32 array (a view on little-endian hosts, a copy otherwise). */
function float32Bytes(a: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(4 * i, a[i]!, true);
  return out;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setBigInt64(8 * i, BigInt(values[i]!), true);
  return out;
}

function attribute(name: string, a: Attr): Record<string, unknown> {
  if ('i' in a) return { name, type: OnnxAttrType.INT, i: a.i };
  if ('f' in a) return { name, type: OnnxAttrType.FLOAT, f: a.f };
  if ('s' in a) return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: OnnxAttrType.INTS, ints: [...a.ints] };
}

const valueInfo = (name: string, elemType: ElemType, dims: readonly Dim[]) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

export class OnnxGraphBuilder {
  private readonly nodes: unknown[] = [];
  private readonly initializers: unknown[] = [];
  private readonly inputs: unknown[] = [];
  private readonly outputs: unknown[] = [];
  private readonly int64Consts = new Map<string, string>();
  private counter = 0;
  private dataBytes = 0;

  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** Declare a graph input; returns its name. */
  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declare `name` (a tensor some node produces) as a graph output. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer (a weight, or a scalar when dims is []); returns its name. */
  float32(name: string, data: Float32Array, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(`initializer '${name}': ${data.length} values for shape [${dims}]`);
    this.initializers.push({ name, dims: [...dims], dataType: Elem.float32, rawData: float32Bytes(data) });
    this.dataBytes += data.byteLength;
    return name;
  }

  /** An int64 constant (a 1-D tensor, or a scalar with `scalar`), shared between uses; returns its name. */
  int64(values: readonly number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}:${values.join(',')}`;
    let name = this.int64Consts.get(key);
    if (!name) {
      name = this.fresh('const_i64');
      const dims = scalar ? [] : [values.length];
      this.initializers.push({ name, dims, dataType: Elem.int64, rawData: int64Bytes(values) });
      this.int64Consts.set(key, name);
    }
    return name;
  }

  /** Add a node with one output (named `out`, or a fresh name); returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, out?: string): string {
    return this.opN(opType, inputs, 1, attrs, out ? [out] : undefined)[0]!;
  }

  /** Add a node with `n` outputs; returns their names. */
  opN(
    opType: string,
    inputs: readonly string[],
    n: number,
    attrs: Record<string, Attr> = {},
    outs?: readonly string[],
  ): string[] {
    const output = outs ? [...outs] : Array.from({ length: n }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      input: [...inputs],
      output,
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      domain: '',
    });
    return output;
  }

  /** Serialise as an ONNX model at the engine's opset; throws if the weights would not fit in one file. */
  encode(): Uint8Array {
    assertFitsOneFile(this.dataBytes);
    return encodeOnnxModel({
      irVersion: IR_VERSION,
      producerName: 'rlhfkit',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}
