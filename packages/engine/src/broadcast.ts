import type { Tensor } from './graph.js';

/** Numpy broadcasting of two shapes; throws naming the op when they do not broadcast. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The one place broadcasting is undone: sum a gradient of a broadcast result back to an operand's shape.
 * Leading axes the operand lacks are summed away; axes where the operand had size 1 are summed with keepdims.
 */
export function unbroadcast(
  g: Tensor,
  shape: readonly number[],
  ops: {
    reduceSum: (x: Tensor, axes: number[], keepdims: boolean) => Tensor;
    reshape: (x: Tensor, s: readonly number[]) => Tensor;
  },
): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? ops.reduceSum(g, axes, true) : g;
  return ops.reshape(summed, shape);
}

/** Normalise possibly negative axes against a rank, checking the range. */
export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  return axes.map((a) => {
    const x = a < 0 ? a + rank : a;
    if (!Number.isInteger(x) || x < 0 || x >= rank)
      throw new Error(`${op}: axis ${a} is out of range for rank ${rank}`);
    return x;
  });
}
