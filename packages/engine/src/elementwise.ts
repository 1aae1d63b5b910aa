import { broadcastShapes, unbroadcast } from './broadcast.js';
import { type DType, isFloat } from './dtype.js';
import { apply1, currentGraph, lowerAs, type Node, type Primitive, type Tensor } from './graph.js';
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
    lower: lowerAs(onnx),
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
  lower: lowerAs('Where'),
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
export const sqrt: (x: Tensor) => Tensor = unary('sqrt', 'Sqrt', (_x, g, out) => div(g, mul(2, out)));
export const abs: (x: Tensor) => Tensor = unary('abs', 'Abs', (x, g) => mul(g, sign(x)));
export const sign: (x: Tensor) => Tensor = unary('sign', 'Sign', 'none');
export const not: (x: Tensor) => Tensor = unary('not', 'Not', 'none');
export const cos: (x: Tensor) => Tensor = unary('cos', 'Cos', (x, g) => neg(mul(g, sin(x))));
export const sin: (x: Tensor) => Tensor = unary('sin', 'Sin', (x, g) => mul(g, cos(x)));

// ---- erf ----

// ORT 1.30's CPU provider has Erf for float32 only (a float64 Erf node fails with "Could not find an
// implementation for Erf(13)"), and casting through float32 would leave 1e-7 error, too coarse for float64
// programs and their gradient checks. So for float64 the value is built from float64 ops with W. J. Cody's
// rational approximations (Math. Comp. 23, 1969; netlib specfun CALERF), and the erf node takes that value
// as a second input (lowered to Identity) so the derivative stays the exact rule below, not the
// derivative of the approximation. The coefficients are CALERF's, each written as the shortest decimal
// of its float64 value.
const Erf: Primitive<Record<string, never>> = {
  name: 'erf',
  infer([x]) {
    if (!isFloat(x!.dtype)) throw new Error(`erf: needs a float tensor, got ${x!.dtype}`);
    return [{ dtype: x!.dtype, shape: [...x!.shape] }];
  },
  lower(e, n) {
    const [x, value] = n.inputs;
    e.node(value ? 'Identity' : 'Erf', [e.name(value ?? x!)], [e.name(n.outputs[0]!)]);
  },
  vjp(n, [g]) {
    const x = n.inputs[0]!;
    return [mul(g!, mul(2 / Math.sqrt(Math.PI), exp(neg(mul(x, x))))), null];
  },
};

export const erf = (x: Tensor): Tensor => apply1(Erf, x.dtype === 'float64' ? [x, erfCody(x)] : [x], {});

const CODY_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const CODY_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const CODY_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const CODY_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const CODY_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const CODY_Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];

/** Cody's num/den recurrence: num = c[last]·z, den = z, then (num + c[i])·z and (den + d[i])·z. */
function codyRatio(z: Tensor, c: number[], d: number[]): Tensor {
  const k = d.length - 1;
  let num = mul(c[k + 1]!, z);
  let den = z;
  for (let i = 0; i < k; i++) {
    num = mul(add(num, c[i]!), z);
    den = mul(add(den, d[i]!), z);
  }
  return div(add(num, c[k]!), add(den, d[k]!));
}

/**
 * erf(x) to float64 accuracy from float64 ops. Three regions of |x|, each evaluated on |x| clamped into its
 * range so the unused branches stay finite: erf directly below 0.46875, erfc up to 4, an asymptotic erfc
 * above. (CALERF's split of exp(-y²) only sharpens erfc's relative error; erf = 1 - erfc does not need it.)
 */
function erfCody(x: Tensor): Tensor {
  const y = abs(x);
  const t = minimum(y, 0.46875);
  const small = mul(t, codyRatio(mul(t, t), CODY_A, CODY_B)); // erf(t)
  const u = maximum(minimum(y, 4), 0.46875);
  const mid = mul(exp(neg(mul(u, u))), codyRatio(u, CODY_C, CODY_D)); // erfc(u)
  const v = maximum(y, 4);
  const s = div(1, mul(v, v));
  const tail = div(
    mul(exp(neg(mul(v, v))), sub(1 / Math.sqrt(Math.PI), mul(s, codyRatio(s, CODY_P, CODY_Q)))),
    v,
  ); // erfc(v)
  const magnitude = where(lessEqual(y, 0.46875), small, sub(1, where(lessEqual(y, 4), mid, tail)));
  return mul(sign(x), magnitude);
}
