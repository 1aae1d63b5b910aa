import { broadcastShapes, normAxes, unbroadcast } from './broadcast.js';
import { isFloat } from './dtype.js';
import { div, equal, mul } from './elementwise.js';
import { apply1, lowerAs, type Primitive, type Tensor } from './graph.js';
import { cast, expand, reshape, transpose } from './shape.js';

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function reducedShape(shape: readonly number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reducePrim(name: string, onnx: string, vjp: Primitive<ReduceAttrs>['vjp']): Primitive<ReduceAttrs> {
  return {
    name,
    infer([x], { axes, keepdims }) {
      return [{ dtype: x!.dtype, shape: reducedShape(x!.shape, axes, keepdims) }];
    },
    lower(e, n) {
      // An empty axes list means "reduce nothing" here (as shape inference says); ONNX reads it as "reduce
      // everything" unless noop_with_empty_axes is set.
      const attrs = { keepdims: n.attrs.keepdims ? 1 : 0, noop_with_empty_axes: 1 };
      e.node(onnx, [e.name(n.inputs[0]!), e.ints(n.attrs.axes)], [e.name(n.outputs[0]!)], attrs);
    },
    vjp,
  };
}

/** Gradient of a reduction, reshaped to keepdims form and expanded back over x. */
const spread = (g: Tensor, x: Tensor, axes: number[]) =>
  expand(reshape(g, reducedShape(x.shape, axes, true)), x.shape);

const ReduceSum = reducePrim('reduceSum', 'ReduceSum', (n, [g]) => [spread(g!, n.inputs[0]!, n.attrs.axes)]);

// Ties share the gradient equally, so the rule is the gradient of a symmetric function.
const ReduceMax = reducePrim('reduceMax', 'ReduceMax', (n, [g]) => {
  const x = n.inputs[0]!;
  const { axes } = n.attrs;
  const hit = cast(equal(x, spread(n.outputs[0]!, x, axes)), x.dtype);
  const count = reduceSum(hit, axes, true);
  return [mul(div(hit, count), spread(g!, x, axes))];
});

function axesOf(x: Tensor, axes: number | number[] | undefined): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  return normAxes('reduce', Array.isArray(axes) ? axes : [axes], x.rank);
}

/** Sum over axes (all axes when omitted). */
export const reduceSum = (x: Tensor, axes?: number | number[], keepdims = false): Tensor =>
  apply1(ReduceSum, [x], { axes: axesOf(x, axes), keepdims });

export const reduceMax = (x: Tensor, axes?: number | number[], keepdims = false): Tensor =>
  apply1(ReduceMax, [x], { axes: axesOf(x, axes), keepdims });

export function reduceMean(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const ax = axesOf(x, axes);
  const count = ax.reduce((a, i) => a * x.shape[i]!, 1);
  return div(reduceSum(x, ax, keepdims), count);
}

// ---- matmul: numpy semantics for rank >= 2, batch dims broadcast ----

const MatMul: Primitive<Record<string, never>> = {
  name: 'matmul',
  infer([a, b]) {
    if (a!.dtype !== b!.dtype || !isFloat(a!.dtype)) {
      throw new Error(`matmul: needs float tensors of one dtype, got ${a!.dtype} and ${b!.dtype}`);
    }
    if (a!.rank < 2 || b!.rank < 2) throw new Error(`matmul: operands need rank >= 2, got ${a} and ${b}`);
    const [m, k] = a!.shape.slice(-2) as [number, number];
    const [k2, n] = b!.shape.slice(-2) as [number, number];
    if (k !== k2) throw new Error(`matmul: inner dimensions differ: ${a} @ ${b}`);
    const batch = broadcastShapes('matmul', a!.shape.slice(0, -2), b!.shape.slice(0, -2));
    return [{ dtype: a!.dtype, shape: [...batch, m, n] }];
  },
  lower: lowerAs('MatMul'),
  vjp(n, [g]) {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const ops = { reduceSum, reshape };
    if (b.rank === 2 && a.rank > 2) {
      // (…, K) @ (K, N): flatten the batch so dB is one (K, M) @ (M, N) product, not a broadcast sum.
      const k = a.shape[a.rank - 1]!;
      const a2 = reshape(a, [-1, k]);
      const g2 = reshape(g!, [-1, b.shape[1]!]);
      return [matmul(g!, swapLast(b)), matmul(swapLast(a2), g2)];
    }
    return [
      unbroadcast(matmul(g!, swapLast(b)), a.shape, ops), // dA = dC · Bᵀ
      unbroadcast(matmul(swapLast(a), g!), b.shape, ops), // dB = Aᵀ · dC
    ];
  },
};

function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}

export const matmul = (a: Tensor, b: Tensor): Tensor => apply1(MatMul, [a, b], {});
