import { type DType, onnxDataType, toBytes } from './dtype.js';
import type { AttrValue, Emitter, Graph, Node, Tensor } from './graph.js';
import { AttrType, encodeModel, IR_VERSION, OPSET } from './onnx-proto.js';

export interface NamedValue {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

/** Shared across a model and its subgraphs: initializers are hoisted to the top graph. */
class ModelContext {
  readonly initializers: unknown[] = [];
  private readonly intCache = new Map<string, string>();
  private readonly emittedConsts = new Set<number>();
  /** Top-graph op tensors that are program outputs: named as the output, so no Identity copies them. */
  readonly outputNames = new Map<number, string>();
  private n = 0;
  constructor(readonly root: Graph) {}

  fresh(hint: string): string {
    return `${hint}_${this.n++}`;
  }

  ints(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.intCache.get(key);
    if (!name) {
      name = this.fresh('ints');
      this.intCache.set(key, name);
      const raw = toBytes(BigInt64Array.from(values.map((v) => BigInt(v))));
      this.initializers.push({ name, dataType: onnxDataType.int64, dims: [values.length], rawData: raw });
    }
    return name;
  }

  constantName(t: Tensor): string {
    const name = `c${t.id}`;
    if (!this.emittedConsts.has(t.id)) {
      this.emittedConsts.add(t.id);
      const data = this.root.constants.get(t.id);
      if (!data) throw new Error(`emit: constant ${t} has no data`);
      this.initializers.push({
        name,
        dataType: onnxDataType[t.dtype],
        dims: [...t.shape],
        rawData: toBytes(data),
      });
    }
    return name;
  }
}

function valueInfo(name: string, dtype: DType, shape: readonly number[]) {
  return {
    name,
    type: {
      tensorType: { elemType: onnxDataType[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } },
    },
  };
}

function attribute(name: string, v: AttrValue, ctx: ModelContext) {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`emit: attribute ${name} must be an integer; use { float }`);
    return { name, type: AttrType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: v.floats };
  return { name, type: AttrType.GRAPH, g: emitGraph(v.graph, v.inputs, v.outputs, ctx, null) };
}

/** Nodes needed for the outputs, in topological order (dead code is dropped). */
function liveNodes(g: Graph, outputs: readonly Tensor[]): Node[] {
  const need = new Set<Node>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (t.node && t.graph === g && !need.has(t.node)) {
      need.add(t.node);
      stack.push(...t.node.inputs);
      for (const a of Object.values(t.node.attrs as Record<string, unknown>)) {
        if (a && typeof a === 'object' && (a as { kind?: string }).kind === 'graph') {
          stack.push(...outerRefs((a as { graph: Graph; outputs: Tensor[] }).graph, a as never, g));
        }
      }
    }
  }
  return g.nodes.filter((n) => need.has(n));
}

/** Tensors of graph `outer` (or above) that a subgraph uses. */
function outerRefs(sub: Graph, a: { outputs: Tensor[] }, outer: Graph): Tensor[] {
  const refs: Tensor[] = [];
  for (const n of liveNodes(sub, a.outputs))
    for (const t of n.inputs) if (t.graph !== sub && outer.sees(t)) refs.push(t);
  for (const t of a.outputs) if (t.graph !== sub) refs.push(t);
  return refs;
}

/**
 * Emit a traced graph as a GraphProto. `outputNames`, for the top graph, names its outputs: a node's result
 * is written under its output name directly; any other tensor (an input, a constant, a repeated tensor) is
 * renamed through Identity. (ORT keeps an Identity whose input has other consumers, so one per output would
 * copy every returned tensor once more: in a training step, each new parameter and moment.)
 */
function emitGraph(
  g: Graph,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  ctx: ModelContext,
  outputNames: readonly string[] | null,
) {
  const nodes: unknown[] = [];
  const name = (t: Tensor) =>
    t.kind === 'const'
      ? ctx.constantName(t)
      : t.kind === 'input'
        ? t.label
        : (ctx.outputNames.get(t.id) ?? `t${t.id}`);
  const e: Emitter = {
    name,
    fresh: (hint) => ctx.fresh(hint),
    ints: (v) => ctx.ints(v),
    node(op, ins, outs, attrs = {}, domain = '') {
      const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v, ctx));
      nodes.push({
        opType: op,
        input: ins,
        output: outs,
        name: ctx.fresh(op),
        attribute: attribute_,
        domain,
      });
    },
  };
  for (const n of liveNodes(g, outputs)) n.prim.lower(e, n);
  let outInfo: unknown[];
  if (outputNames) {
    outInfo = outputs.map((t, i) => {
      if (name(t) !== outputNames[i]) e.node('Identity', [name(t)], [outputNames[i]!]);
      return valueInfo(outputNames[i]!, t.dtype, t.shape);
    });
  } else {
    outInfo = outputs.map((t) => valueInfo(name(t), t.dtype, t.shape));
  }
  return {
    name: ctx.fresh('graph'),
    node: nodes,
    input: inputs.map((t) => valueInfo(name(t), t.dtype, t.shape)),
    output: outInfo,
    initializer: [] as unknown[],
  };
}

/** Serialise a traced program to ONNX model bytes. */
export function emitModel(g: Graph, outputs: Record<string, Tensor>): Uint8Array {
  const labels = new Set<string>();
  for (const t of g.inputs) {
    if (labels.has(t.label) || /^(t|c)\d+$|^ints_/.test(t.label))
      throw new Error(`input name '${t.label}' is taken`);
    labels.add(t.label);
  }
  const ctx = new ModelContext(g);
  const names = Object.keys(outputs);
  for (const n of names) if (labels.has(n)) throw new Error(`output name '${n}' is also an input name`);
  names.forEach((n) => {
    const t = outputs[n]!;
    if (t.kind === 'op' && t.graph === g && !ctx.outputNames.has(t.id)) ctx.outputNames.set(t.id, n);
  });
  const graph = emitGraph(g, g.inputs, Object.values(outputs), ctx, names);
  graph.initializer = ctx.initializers;
  return encodeModel({
    irVersion: IR_VERSION,
    producerName: 'rlhfkit',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  });
}
