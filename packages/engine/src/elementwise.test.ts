import { describe, expect, it } from 'vitest';
import type { Tensor } from './graph.js';
import {
  abs,
  add,
  and,
  cos,
  div,
  equal,
  erf,
  evaluate,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  not,
  or,
  pow,
  reduceSum,
  sigmoid,
  sign,
  sin,
  sqrt,
  sub,
  tanh,
  valueAndGrad,
  where,
} from './index.js';
import { f64, gradCheck, type TestInput, uniform } from './testing/gradcheck.js';

type Fn = (x: Record<string, Tensor>) => Tensor;
const values = async (fn: Fn, inputs: Record<string, TestInput>) =>
  Array.from((await evaluate(fn, inputs)).data, Number);
const close = (xs: number[], digits = 14) => xs.map((v) => expect.closeTo(v, digits));

describe('binary arithmetic', () => {
  const ab = { a: f64([1, 2, 3, 4], [4]), b: f64([0.5, -2, 4, 8], [4]) };

  it('adds, subtracts, multiplies and divides elementwise', async () => {
    expect(await values(({ a, b }) => add(a!, b!), ab)).toEqual([1.5, 0, 7, 12]);
    expect(await values(({ a, b }) => sub(a!, b!), ab)).toEqual([0.5, 4, -1, -4]);
    expect(await values(({ a, b }) => mul(a!, b!), ab)).toEqual([0.5, -4, 12, 32]);
    expect(await values(({ a, b }) => div(a!, b!), ab)).toEqual([2, -1, 0.75, 0.5]);
  });

  it('raises to a constant power and to a tensor power', async () => {
    const x = { a: f64([4, 9, 2], [3]), b: f64([3, 0.5, -1], [3]) };
    expect(await values(({ a }) => pow(a!, 0.5), x)).toEqual(close([2, 3, Math.SQRT2]));
    expect(await values(({ a, b }) => pow(a!, b!), x)).toEqual(close([64, 3, 0.5]));
  });

  it('takes the elementwise maximum and minimum', async () => {
    expect(await values(({ a, b }) => maximum(a!, b!), ab)).toEqual([1, 2, 4, 8]);
    expect(await values(({ a, b }) => minimum(a!, b!), ab)).toEqual([0.5, -2, 3, 4]);
  });

  it('broadcasts a row against a column and a scalar against a matrix', async () => {
    const x = { c: f64([1, 2, 3], [3, 1]), r: f64([10, 20], [2]) };
    const r = await evaluate(({ c, r }) => add(c!, r!), x);
    expect(r.shape).toEqual([3, 2]);
    expect([...r.data]).toEqual([11, 21, 12, 22, 13, 23]);
    expect(await values(({ c }) => mul(2, c!), x)).toEqual([2, 4, 6]);
  });

  it('computes in float32 when the inputs are float32', async () => {
    const r = await evaluate(({ a, b }) => mul(a!, b!), {
      a: { data: [1.5, 2], shape: [2] },
      b: { data: [2, 0.25], shape: [2] },
    });
    expect(r.data).toBeInstanceOf(Float32Array);
    expect([...r.data]).toEqual([3, 0.5]);
  });

  it('lifts a plain number to the dtype of the tensor it meets', async () => {
    const r = await evaluate(({ a }) => sub(1, a!), { a: f64([0.1], [1]) });
    expect(r.data).toBeInstanceOf(Float64Array);
    expect(r.data[0]).toBe(1 - 0.1);
  });

  it('rejects operands of different dtypes', async () => {
    const x = { a: f64([1], [1]), b: { data: [1], shape: [1] } };
    await expect(evaluate(({ a, b }) => add(a!, b!), x)).rejects.toThrow(/add: dtypes differ/);
  });
});

describe('gradients of binary arithmetic', () => {
  // [2, 3] against [3] also checks the unbroadcast of each rule.
  const a = uniform([2, 3], -1, 1, 1);
  const b = uniform([3], -1, 1, 2);
  const positive = uniform([2, 3], 0.5, 2, 3);
  const away = uniform([3], 0.5, 2, 4);

  it.each<[string, Fn, Record<string, TestInput>]>([
    ['add', (x) => add(x['a']!, x['b']!), { a, b }],
    ['sub', (x) => sub(x['a']!, x['b']!), { a, b }],
    ['mul', (x) => mul(x['a']!, x['b']!), { a, b }],
    ['div', (x) => div(x['a']!, x['b']!), { a, b: away }],
    ['pow with a tensor exponent on positive bases', (x) => pow(x['a']!, x['b']!), { a: positive, b }],
    ['pow with a constant exponent', (x) => pow(x['a']!, 2.5), { a: positive }],
    ['pow with an integer exponent on negative bases', (x) => pow(x['a']!, 3), { a }],
    ['maximum', (x) => maximum(x['a']!, x['b']!), { a, b }],
    ['minimum', (x) => minimum(x['a']!, x['b']!), { a, b }],
  ])('the gradient of %s matches central differences', async (_name, fn, inputs) => {
    await gradCheck(fn, inputs);
  });

  it('gives all of a tie in maximum and minimum to the first operand', async () => {
    const x = { a: f64([1, 2], [2]), b: f64([1, 3], [2]) };
    const mx = await valueAndGrad(({ a, b }) => reduceSum(maximum(a!, b!)), x);
    expect([...mx.grads['a']!, ...mx.grads['b']!]).toEqual([1, 0, 0, 1]);
    const mn = await valueAndGrad(({ a, b }) => minimum(a!, b!), { a: f64([1], []), b: f64([1], []) });
    expect([...mn.grads['a']!, ...mn.grads['b']!]).toEqual([1, 0]);
  });
});

describe('unary functions', () => {
  const xs = [0.25, 1, 2.5];
  const x = { x: f64(xs, [3]) };

  it.each<[string, (t: Tensor) => Tensor, (v: number) => number]>([
    ['neg', neg, (v) => -v],
    ['exp', exp, Math.exp],
    ['log', log, Math.log],
    ['tanh', tanh, Math.tanh],
    ['sigmoid', sigmoid, (v) => 1 / (1 + Math.exp(-v))],
    ['sqrt', sqrt, Math.sqrt],
    ['cos', cos, Math.cos],
    ['sin', sin, Math.sin],
  ])('%s gives the same values as Math', async (_name, op, ref) => {
    expect(await values(({ x }) => op(x!), x)).toEqual(close(xs.map(ref)));
  });

  it('abs and sign follow the sign of their input, with sign(0) = 0', async () => {
    const y = { x: f64([-2, 0, 3], [3]) };
    expect(await values(({ x }) => abs(x!), y)).toEqual([2, 0, 3]);
    expect(await values(({ x }) => sign(x!), y)).toEqual([-1, 0, 1]);
  });

  // Reference values: Python's math.erf. Points straddle the boundaries of Cody's three regions (0.46875, 4).
  const erfTable: Array<[number, number]> = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.3, 0.3286267594591274],
    [0.46875, 0.49261347321793797],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [-1.5, -0.9661051464753108],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [4, 0.9999999845827421],
    [4.5, 0.9999999998033839],
    [-5, -0.9999999999984626],
    [6, 1],
    [40, 1],
  ];

  it('erf matches a reference table to float64 accuracy', async () => {
    const r = await evaluate(({ x }) => erf(x!), {
      x: f64(
        erfTable.map(([v]) => v),
        [erfTable.length],
      ),
    });
    expect(r.data).toBeInstanceOf(Float64Array);
    expect(Array.from(r.data, Number)).toEqual(
      close(
        erfTable.map(([, e]) => e),
        15,
      ),
    );
  });

  it('erf matches the reference table in float32 through the native kernel', async () => {
    const r = await evaluate(({ x }) => erf(x!), {
      x: { data: erfTable.map(([v]) => v), shape: [erfTable.length] },
    });
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(Array.from(r.data, Number)).toEqual(
      close(
        erfTable.map(([, e]) => e),
        6,
      ),
    );
  });

  const any = uniform([2, 3], -2, 2, 5);
  const positive = uniform([2, 3], 0.2, 3, 6);
  it.each<[string, (t: Tensor) => Tensor, TestInput]>([
    ['neg', neg, any],
    ['exp', exp, any],
    ['log', log, positive],
    ['tanh', tanh, any],
    ['sigmoid', sigmoid, any],
    ['sqrt', sqrt, positive],
    ['abs', abs, any],
    ['cos', cos, any],
    ['sin', sin, any],
    ['erf', erf, f64([-5, -2, -0.3, 0, 0.1, 0.46, 0.48, 1, 3.9, 4.2], [10])],
  ])('the gradient of %s matches central differences', async (_name, op, input) => {
    await gradCheck(({ x }) => op(x!), { x: input });
  });

  it('sign has no gradient, so sign(x) * x differentiates like abs', async () => {
    const r = await valueAndGrad(({ x }) => reduceSum(mul(sign(x!), x!)), { x: f64([-2, 3], [2]) });
    expect([...r.grads['x']!]).toEqual([-1, 1]);
  });
});

describe('comparisons and where', () => {
  const ab = { a: f64([1, 2, 3], [3]), b: f64([2, 2, 2], [3]) };

  it('compares elementwise into bool tensors', async () => {
    expect(await values(({ a, b }) => less(a!, b!), ab)).toEqual([1, 0, 0]);
    expect(await values(({ a, b }) => lessEqual(a!, b!), ab)).toEqual([1, 1, 0]);
    expect(await values(({ a, b }) => greater(a!, b!), ab)).toEqual([0, 0, 1]);
    expect(await values(({ a, b }) => greaterEqual(a!, b!), ab)).toEqual([0, 1, 1]);
    expect(await values(({ a, b }) => equal(a!, b!), ab)).toEqual([0, 1, 0]);
  });

  it('combines bool tensors with and, or and not', async () => {
    expect(await values(({ a }) => and(less(a!, 3), greater(a!, 1)), ab)).toEqual([0, 1, 0]);
    expect(await values(({ a, b }) => or(less(a!, b!), equal(a!, 3)), ab)).toEqual([1, 0, 1]);
    expect(await values(({ a }) => not(less(a!, 2)), ab)).toEqual([0, 1, 1]);
  });

  it('where picks from either branch and broadcasts the condition and the branches', async () => {
    const r = await evaluate(({ a, b }) => where(greater(a!, b!), a!, mul(b!, 10)), ab);
    expect([...r.data]).toEqual([20, 20, 3]);
    const s = await evaluate(({ a }) => where(less(a!, 2), 0, a!), ab);
    expect([...s.data]).toEqual([0, 2, 3]);
  });

  it('the gradient of where matches central differences and sends nothing to the unpicked branch', async () => {
    const inputs = { a: uniform([2, 3], -1, 1, 8), b: uniform([3], -1, 1, 9) };
    await gradCheck(({ a, b }) => where(greater(a!, 0), mul(a!, a!), b!), inputs);
    const r = await valueAndGrad(({ a, b }) => reduceSum(where(greater(a!, 1.5), a!, b!)), ab);
    expect([...r.grads['a']!]).toEqual([0, 1, 1]);
    expect([...r.grads['b']!]).toEqual([1, 0, 0]);
  });
});
