import { type DType, type HostArray, sizeOf, toHostArray } from './dtype.js';

/** ONNX attribute values a lowering can emit. */
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] } | OnnxSubgraph;

/** A subgraph attribute (the body of a Loop), emitted from a traced Graph. */
export interface OnnxSubgraph {
  kind: 'graph';
  graph: Graph;
  inputs: Tensor[];
  outputs: Tensor[];
}

/** What a primitive's lowering writes ONNX nodes into. */
export interface Emitter {
  name(t: Tensor): string;
  fresh(hint: string): string;
  node(
    op: string,
    inputs: string[],
    outputs: string[],
    attrs?: Record<string, AttrValue>,
    domain?: string,
  ): void;
  /** A constant int64 vector (shapes, axes, indices), as an initializer. */
  ints(values: readonly number[]): string;
}

export interface OutSpec {
  dtype: DType;
  shape: number[];
}

/** A primitive: how it infers shapes, lowers to ONNX, and differentiates (tinygrad/micrograd style). */
export interface Primitive<A = Record<string, unknown>> {
  name: string;
  infer(inputs: readonly Tensor[], attrs: A): OutSpec[];
  lower(e: Emitter, node: Node<A>): void;
  /** One gradient per input (null: no gradient flows there). 'none': not differentiable at all. */
  vjp?: ((node: Node<A>, grads: ReadonlyArray<Tensor | null>) => Array<Tensor | null>) | 'none' | undefined;
}

/** The lowering of a primitive that is one ONNX op over the node's inputs and outputs, attributes from its attrs. */
export const lowerAs =
  <A>(op: string, attrs: (a: A) => Record<string, AttrValue> = () => ({})): Primitive<A>['lower'] =>
  (e, n) =>
    e.node(
      op,
      n.inputs.map((t) => e.name(t)),
      n.outputs.map((t) => e.name(t)),
      attrs(n.attrs),
    );

export interface Node<A = Record<string, unknown>> {
  prim: Primitive<A>;
  inputs: Tensor[];
  attrs: A;
  outputs: Tensor[];
}

export type TensorKind = 'input' | 'const' | 'op';

/** A symbolic tensor: a dtype and a static shape, produced by an input, a constant or a node. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly kind: TensorKind,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly node: Node | null,
    readonly label: string,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  toString(): string {
    return `${this.label}:${this.dtype}[${this.shape.join(',')}]`;
  }
}

/** A traced program. Subgraphs (Loop bodies) have a parent and may use the parent's tensors. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  /** Constants live in the root graph as initializers; subgraphs see them by ONNX scoping. */
  readonly constants = new Map<number, HostArray>();
  private readonly constCache = new Map<string, Tensor>();
  private nextId: { n: number };

  constructor(readonly parent: Graph | null = null) {
    this.nextId = parent ? parent.nextId : { n: 0 };
  }

  get root(): Graph {
    return this.parent ? this.parent.root : this;
  }

  /** True when tensor t can be referenced from this graph (it is ours or an ancestor's). */
  sees(t: Tensor): boolean {
    for (let g: Graph | null = this; g; g = g.parent) if (t.graph === g) return true;
    return false;
  }

  input(label: string, dtype: DType, shape: readonly number[]): Tensor {
    checkShape(shape, `input '${label}'`);
    const t = new Tensor(this, this.nextId.n++, 'input', dtype, [...shape], null, label);
    this.inputs.push(t);
    return t;
  }

  constant(data: ArrayLike<number> | HostArray, shape: readonly number[], dtype: DType): Tensor {
    checkShape(shape, 'constant');
    if (data.length !== sizeOf(shape)) {
      throw new Error(`constant has ${data.length} values but shape [${shape.join(', ')}]`);
    }
    const root = this.root;
    const key = data.length === 1 ? `${dtype}:${shape.join(',')}:${Number(data[0])}` : null;
    const hit = key ? root.constCache.get(key) : undefined;
    if (hit) return hit;
    const t = new Tensor(root, root.nextId.n++, 'const', dtype, [...shape], null, 'const');
    root.constants.set(t.id, toHostArray(data as ArrayLike<number>, dtype));
    if (key) root.constCache.set(key, t);
    return t;
  }

  apply<A>(prim: Primitive<A>, inputs: Tensor[], attrs: A): Tensor[] {
    for (const x of inputs) {
      if (!this.sees(x)) throw new Error(`${prim.name}: input ${x} belongs to another program`);
    }
    const specs = prim.infer(inputs, attrs);
    const node: Node<A> = { prim, inputs, attrs, outputs: [] };
    for (const s of specs) {
      node.outputs.push(new Tensor(this, this.nextId.n++, 'op', s.dtype, s.shape, node as Node, prim.name));
    }
    this.nodes.push(node as Node);
    return node.outputs;
  }
}

function checkShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: bad shape [${shape.join(', ')}]`);
  }
}

// ---- the tracing scope: ops add nodes to the innermost active graph ----

const stack: Graph[] = [];

export function currentGraph(): Graph {
  const g = stack[stack.length - 1];
  if (!g) throw new Error('no program is being traced: call ops inside evaluate/valueAndGrad/compile');
  return g;
}

export function withGraph<T>(g: Graph, fn: () => T): T {
  stack.push(g);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/** Apply a single-output primitive in the current graph. */
export function apply1<A>(prim: Primitive<A>, inputs: Tensor[], attrs: A): Tensor {
  return currentGraph().apply(prim, inputs, attrs)[0]!;
}

/** A constant tensor in the program being traced (stored once, as an initializer). */
export function constant(
  data: ArrayLike<number> | HostArray,
  shape: readonly number[],
  dtype: DType = 'float32',
): Tensor {
  return currentGraph().constant(data, shape, dtype);
}
