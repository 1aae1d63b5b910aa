import { normAxes, sameShape, unbroadcast } from './broadcast.js';
import { type DType, isFloat, sizeOf } from './dtype.js';
import { apply1, currentGraph, lowerAs, type Primitive, type Tensor } from './graph.js';
import { reduceSum } from './reduce.js';

// ---- reshape (one -1 allowed) ----

const Reshape: Primitive<{ shape: number[] }> = {
  name: 'reshape',
  infer([x], { shape }) {
    return [{ dtype: x!.dtype, shape }];
  },
  lower(e, n) {
    e.node('Reshape', [e.name(n.inputs[0]!), e.ints(n.attrs.shape)], [e.name(n.outputs[0]!)]);
  },
  vjp: (n, [g]) => [reshape(g!, n.inputs[0]!.shape)],
};

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  const s = [...shape];
  if (free > 1) throw new Error(`reshape: at most one -1 allowed, got [${shape.join(', ')}]`);
  if (free === 1) s[s.indexOf(-1)] = x.size / Math.max(1, sizeOf(known));
  if (sizeOf(s) !== x.size || !s.every(Number.isInteger)) {
    throw new Error(`reshape: cannot reshape ${x} to [${shape.join(', ')}]`);
  }
  return sameShape(s, x.shape) ? x : apply1(Reshape, [x], { shape: s });
}

// ---- transpose ----

const Transpose: Primitive<{ perm: number[] }> = {
  name: 'transpose',
  infer([x], { perm }) {
    return [{ dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) }];
  },
  lower(e, n) {
    e.node('Transpose', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)], { perm: n.attrs.perm });
  },
  vjp(n, [g]) {
    const inv: number[] = [];
    n.attrs.perm.forEach((p, i) => {
      inv[p] = i;
    });
    return [transpose(g!, inv)];
  },
};

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const p = normAxes('transpose', perm, x.rank);
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new Error(`transpose: perm [${perm.join(', ')}] is not a permutation of ${x.rank} axes`);
  }
  return p.every((a, i) => a === i) ? x : apply1(Transpose, [x], { perm: p });
}

// ---- slice (unit step) and its adjoint, pad with zeros ----

interface SliceAttrs {
  starts: number[];
  ends: number[];
  axes: number[];
}

const Slice: Primitive<SliceAttrs> = {
  name: 'slice',
  infer([x], { starts, ends, axes }) {
    const s = [...x!.shape];
    axes.forEach((a, i) => {
      s[a] = ends[i]! - starts[i]!;
    });
    return [{ dtype: x!.dtype, shape: s }];
  },
  lower(e, n) {
    const { starts, ends, axes } = n.attrs;
    e.node(
      'Slice',
      [e.name(n.inputs[0]!), e.ints(starts), e.ints(ends), e.ints(axes)],
      [e.name(n.outputs[0]!)],
    );
  },
  vjp(n, [g]) {
    const x = n.inputs[0]!;
    const before = x.shape.map(() => 0);
    const after = x.shape.map(() => 0);
    n.attrs.axes.forEach((a, i) => {
      before[a] = n.attrs.starts[i]!;
      after[a] = x.shape[a]! - n.attrs.ends[i]!;
    });
    return [padZeros(g!, before, after)];
  },
};

/** x[starts:ends] along axes; negative or out-of-range bounds clamp as in numpy. */
export function slice(x: Tensor, starts: number[], ends: number[], axes?: number[]): Tensor {
  const ax = normAxes('slice', axes ?? starts.map((_, i) => i), x.rank);
  const clamp = (v: number, d: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
  const s = ax.map((a, i) => clamp(starts[i]!, x.shape[a]!));
  const e = ax.map((a, i) => Math.max(clamp(ends[i]!, x.shape[a]!), s[i]!));
  return apply1(Slice, [x], { starts: s, ends: e, axes: ax });
}

const Pad: Primitive<{ before: number[]; after: number[] }> = {
  name: 'pad',
  infer([x], { before, after }) {
    return [{ dtype: x!.dtype, shape: x!.shape.map((d, i) => d + before[i]! + after[i]!) }];
  },
  lower(e, n) {
    const pads = e.ints([...n.attrs.before, ...n.attrs.after]);
    e.node('Pad', [e.name(n.inputs[0]!), pads], [e.name(n.outputs[0]!)], { mode: 'constant' });
  },
  vjp(n, [g]) {
    const x = n.inputs[0]!;
    return [
      slice(
        g!,
        n.attrs.before,
        n.attrs.before.map((b, i) => b + x.shape[i]!),
      ),
    ];
  },
};

/** Zero padding: before[i] and after[i] elements on each side of axis i. */
export const padZeros = (x: Tensor, before: number[], after: number[]): Tensor =>
  apply1(Pad, [x], { before, after });

// ---- concat ----

const Concat: Primitive<{ axis: number }> = {
  name: 'concat',
  infer(xs, { axis }) {
    const first = xs[0]!;
    const s = [...first.shape];
    s[axis] = 0;
    for (const x of xs) {
      if (
        x.dtype !== first.dtype ||
        x.rank !== first.rank ||
        x.shape.some((d, i) => i !== axis && d !== first.shape[i])
      ) {
        throw new Error(`concat: ${x} does not fit ${first} along axis ${axis}`);
      }
      s[axis] += x.shape[axis]!;
    }
    return [{ dtype: first.dtype, shape: s }];
  },
  lower: lowerAs('Concat', ({ axis }) => ({ axis })),
  vjp(n, [g]) {
    let at = 0;
    const { axis } = n.attrs;
    return n.inputs.map((x) => {
      const part = slice(g!, [at], [at + x.shape[axis]!], [axis]);
      at += x.shape[axis]!;
      return part;
    });
  },
};

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  if (xs.length === 1) return xs[0]!;
  return apply1(Concat, xs, { axis: normAxes('concat', [axis], xs[0]!.rank)[0]! });
}

// ---- split: consecutive pieces along an axis; its adjoint is one concat ----

const Split: Primitive<{ axis: number; sizes: number[] }> = {
  name: 'split',
  infer([x], { axis, sizes }) {
    return sizes.map((d) => {
      const s = [...x!.shape];
      s[axis] = d;
      return { dtype: x!.dtype, shape: s };
    });
  },
  lower(e, n) {
    e.node(
      'Split',
      [e.name(n.inputs[0]!), e.ints(n.attrs.sizes)],
      n.outputs.map((o) => e.name(o)),
      { axis: n.attrs.axis },
    );
  },
  // One Concat of the pieces' gradients; slices would each pad to the full size and then be summed.
  vjp: (n, gs) => [
    concat(
      n.outputs.map((o, i) => gs[i] ?? zeros(o.shape, o.dtype)),
      n.attrs.axis,
    ),
  ],
};

/** Split x along an axis into consecutive pieces of the given sizes (which must add up to that axis). */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = normAxes('split', [axis], x.rank)[0]!;
  if (sizes.some((d) => !Number.isInteger(d) || d < 0) || sizes.reduce((p, d) => p + d, 0) !== x.shape[a]) {
    throw new Error(`split: sizes [${sizes.join(', ')}] do not add up to axis ${a} of ${x}`);
  }
  if (sizes.length === 1) return [x];
  return currentGraph().apply(Split, [x], { axis: a, sizes: [...sizes] });
}

// ---- expand (broadcast to a shape) ----

const Expand: Primitive<{ shape: number[] }> = {
  name: 'expand',
  infer([x], { shape }) {
    return [{ dtype: x!.dtype, shape }];
  },
  lower(e, n) {
    e.node('Expand', [e.name(n.inputs[0]!), e.ints(n.attrs.shape)], [e.name(n.outputs[0]!)]);
  },
  // Expand is broadcasting, so its adjoint is the shared unbroadcast.
  vjp: (n, [g]) => [unbroadcast(g!, n.inputs[0]!.shape, { reduceSum, reshape })],
};

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = shape.length - x.rank;
  if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    throw new Error(`expand: cannot expand ${x} to [${shape.join(', ')}]`);
  }
  return apply1(Expand, [x], { shape: [...shape] });
}

// ---- cast, stopGradient, zeros ----

const Cast: Primitive<{ to: DType }> = {
  name: 'cast',
  infer([x], { to }) {
    return [{ dtype: to, shape: [...x!.shape] }];
  },
  lower(e, n) {
    const codes = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };
    e.node('Cast', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)], { to: codes[n.attrs.to] });
  },
  vjp: (n, [g]) => [isFloat(n.inputs[0]!.dtype) && isFloat(n.attrs.to) ? cast(g!, n.inputs[0]!.dtype) : null],
};

export const cast = (x: Tensor, to: DType): Tensor => (x.dtype === to ? x : apply1(Cast, [x], { to }));

const StopGradient: Primitive<Record<string, never>> = {
  name: 'stopGradient',
  infer: ([x]) => [{ dtype: x!.dtype, shape: [...x!.shape] }],
  lower(e, n) {
    e.node('Identity', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)]);
  },
  vjp: () => [null],
};

/** Identity in the forward pass; no gradient flows through it. */
export const stopGradient = (x: Tensor): Tensor => apply1(StopGradient, [x], {});

/** A tensor of zeros (a broadcast scalar constant). */
export const zeros = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  expand(currentGraph().constant([0], [], dtype), shape);

export const full = (shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor =>
  expand(currentGraph().constant([value], [], dtype), shape);
