import { broadcastShapes, unbroadcast } from './broadcast.js';
import { type DType, isFloat } from './dtype.js';
import { apply1, currentGraph, type Node, type Primitive, type Tensor } from './graph.js';
import { reduceSum } from './reduce.js';
import { reshape } from './shape.js';

export type TensorLike = Tensor | number;

const sumTo = (g: Tensor, shape: readonly number[]) => unbroadcast(g, shape, { reduceSum, reshape });

/** A scalar constant of a dtype. */
export const scalar = (value: number, dtype: DType = 'float32'): Tensor =>
  currentGraph().constant([value], [], dtype);

function lift(x: TensorLike, like: TensorLike): Tensor {
  if (typeof x !== 'number') return x;
  return scalar(x, typeof like === 'number' ? 'float32' : like.dtype);
}

// ---- binary, with broadcasting ----

function binary(
  name: string,
  onnx: string,
  vjp: Primitive['vjp'],
  out: (d: DType) => DType = (d) => d,
): Primitive<Record<string, never>> {
  return {
    name,
    infer([a, b]) {
      if (a!.dtype !== b!.dtype)
        throw new Error(`${name}: dtypes differ (${a!.dtype} vs ${b!.dtype}); cast first`);
      return [{ dtype: out(a!.dtype), shape: broadcastShapes(name, a!.shape, b!.shape) }];
    },
    lower(e, n) {
      e.node(
        onnx,
        n.inputs.map((t) => e.name(t)),
        [e.name(n.outputs[0]!)],
      );
    },
    vjp: vjp as Primitive<Record<string, never>>['vjp'],
  };
}

type Vjp = (n: Node, g: ReadonlyArray<Tensor | null>) => Array<Tensor | null>;
const bin = (
  name: string,
  onnx: string,
  f: (a: Tensor, b: Tensor, g: Tensor, out: Tensor) => [Tensor, Tensor],
) =>
  binary(name, onnx, ((n, [g]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const [ga, gb] = f(a, b, g!, n.outputs[0]!);
    return [sumTo(ga, a.shape), sumTo(gb, b.shape)];
  }) as Vjp);

const Add = bin('add', 'Add', (_a, _b, g) => [g, g]);
const Sub = bin('sub', 'Sub', (_a, _b, g) => [g, neg(g)]);
const Mul = bin('mul', 'Mul', (a, b, g) => [mul(g, b), mul(g, a)]);
const Div = bin('div', 'Div', (_a, b, g, out) => [div(g, b), neg(div(mul(g, out), b))]);
const Pow = bin('pow', 'Pow', (a, b, g, out) => [
  mul(g, mul(b, pow(a, sub(b, 1)))),
  mul(g, mul(out, log(a))),
]);
const Max = bin('maximum', 'Max', (a, b, g) => {
  const takeA = greaterEqual(a, b);
  return [where(takeA, g, 0), where(takeA, 0, g)];
});
const Min = bin('minimum', 'Min', (a, b, g) => {
  const takeA = lessEqual(a, b);
  return [where(takeA, g, 0), where(takeA, 0, g)];
});

export const add = (a: TensorLike, b: TensorLike) => apply1(Add, [lift(a, b), lift(b, a)], {});
export const sub = (a: TensorLike, b: TensorLike) => apply1(Sub, [lift(a, b), lift(b, a)], {});
export const mul = (a: TensorLike, b: TensorLike) => apply1(Mul, [lift(a, b), lift(b, a)], {});
export const div = (a: TensorLike, b: TensorLike) => apply1(Div, [lift(a, b), lift(b, a)], {});
export const pow = (a: TensorLike, b: TensorLike) => apply1(Pow, [lift(a, b), lift(b, a)], {});
export const maximum = (a: TensorLike, b: TensorLike) => apply1(Max, [lift(a, b), lift(b, a)], {});
export const minimum = (a: TensorLike, b: TensorLike) => apply1(Min, [lift(a, b), lift(b, a)], {});

// ---- comparisons: bool results, no gradient ----

const cmp = (name: string, onnx: string) => binary(name, onnx, 'none', () => 'bool');
const Less = cmp('less', 'Less');
const Greater = cmp('greater', 'Greater');
const LessEq = cmp('lessEqual', 'LessOrEqual');
const GreaterEq = cmp('greaterEqual', 'GreaterOrEqual');
const Equal = cmp('equal', 'Equal');
const And = cmp('and', 'And');
const Or = cmp('or', 'Or');
export const less = (a: TensorLike, b: TensorLike) => apply1(Less, [lift(a, b), lift(b, a)], {});
export const greater = (a: TensorLike, b: TensorLike) => apply1(Greater, [lift(a, b), lift(b, a)], {});
export const lessEqual = (a: TensorLike, b: TensorLike) => apply1(LessEq, [lift(a, b), lift(b, a)], {});
export const greaterEqual = (a: TensorLike, b: TensorLike) => apply1(GreaterEq, [lift(a, b), lift(b, a)], {});
export const equal = (a: TensorLike, b: TensorLike) => apply1(Equal, [lift(a, b), lift(b, a)], {});
export const and = (a: Tensor, b: Tensor) => apply1(And, [a, b], {});
export const or = (a: Tensor, b: Tensor) => apply1(Or, [a, b], {});

// ---- where(cond, a, b) ----

const Where: Primitive<Record<string, never>> = {
  name: 'where',
  infer([c, a, b]) {
    if (c!.dtype !== 'bool') throw new Error(`where: condition must be bool, got ${c!.dtype}`);
    if (a!.dtype !== b!.dtype)
      throw new Error(`where: branches differ in dtype (${a!.dtype} vs ${b!.dtype})`);
    const s = broadcastShapes('where', broadcastShapes('where', c!.shape, a!.shape), b!.shape);
    return [{ dtype: a!.dtype, shape: s }];
  },
  lower(e, n) {
    e.node(
      'Where',
      n.inputs.map((t) => e.name(t)),
      [e.name(n.outputs[0]!)],
    );
  },
  vjp(n, [g]) {
    const [c, a, b] = n.inputs as [Tensor, Tensor, Tensor];
    return [null, sumTo(where(c, g!, 0), a.shape), sumTo(where(c, 0, g!), b.shape)];
  },
};
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return apply1(Where, [cond, lift(a, b), lift(b, a)], {});
}

// ---- unary ----

function unary(name: string, onnx: string, vjp: ((x: Tensor, g: Tensor, out: Tensor) => Tensor) | 'none') {
  const prim: Primitive<Record<string, never>> = {
    name,
    infer([x]) {
      if (vjp !== 'none' && !isFloat(x!.dtype) && name !== 'neg' && name !== 'abs') {
        throw new Error(`${name}: needs a float tensor, got ${x!.dtype}`);
      }
      return [{ dtype: name === 'not' ? 'bool' : x!.dtype, shape: [...x!.shape] }];
    },
    lower(e, n) {
      e.node(onnx, [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)]);
    },
    vjp: vjp === 'none' ? 'none' : (n, [g]) => [vjp(n.inputs[0]!, g!, n.outputs[0]!)],
  };
  return (x: Tensor) => apply1(prim, [x], {});
}

export const neg: (x: Tensor) => Tensor = unary('neg', 'Neg', (_x, g) => neg(g));
export const exp: (x: Tensor) => Tensor = unary('exp', 'Exp', (_x, g, out) => mul(g, out));
export const log: (x: Tensor) => Tensor = unary('log', 'Log', (x, g) => div(g, x));
export const tanh: (x: Tensor) => Tensor = unary('tanh', 'Tanh', (_x, g, out) =>
  mul(g, sub(1, mul(out, out))),
);
export const sigmoid: (x: Tensor) => Tensor = unary('sigmoid', 'Sigmoid', (_x, g, out) =>
  mul(g, mul(out, sub(1, out))),
);
export const erf: (x: Tensor) => Tensor = unary('erf', 'Erf', (x, g) =>
  mul(g, mul(2 / Math.sqrt(Math.PI), exp(neg(mul(x, x))))),
);
export const sqrt: (x: Tensor) => Tensor = unary('sqrt', 'Sqrt', (_x, g, out) => div(g, mul(2, out)));
export const abs: (x: Tensor) => Tensor = unary('abs', 'Abs', (x, g) => mul(g, sign(x)));
export const sign: (x: Tensor) => Tensor = unary('sign', 'Sign', 'none');
export const not: (x: Tensor) => Tensor = unary('not', 'Not', 'none');
