import { normAxes } from './broadcast.js';
import { sizeOf } from './dtype.js';
import { apply1, currentGraph, lowerAs, type Primitive, type Tensor } from './graph.js';
import { expand, reshape, zeros } from './shape.js';

const isIndex = (t: Tensor) => t.dtype === 'int32' || t.dtype === 'int64';

// ---- gather: x[..., idx, ...] along an axis (embedding lookup) ----

const Gather: Primitive<{ axis: number }> = {
  name: 'gather',
  infer([x, idx], { axis }) {
    if (!isIndex(idx!)) throw new Error(`gather: indices must be int32 or int64, got ${idx!.dtype}`);
    const s = [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)];
    return [{ dtype: x!.dtype, shape: s }];
  },
  lower: lowerAs('Gather', ({ axis }) => ({ axis })),
  vjp(n, [g]) {
    // Scatter-add the rows back. ScatterElements(reduction='add') is exact at any thread count; ScatterND's
    // add is racy in ORT 1.30 (platform notes), so the gradient is laid out as (P, N, Q) for ScatterElements.
    const [x, idx] = n.inputs as [Tensor, Tensor];
    const { axis } = n.attrs;
    const p = sizeOf(x.shape.slice(0, axis));
    const q = sizeOf(x.shape.slice(axis + 1));
    const count = idx.size;
    const g3 = reshape(g!, [p, count, q]);
    const i3 = expand(reshape(idx, [1, count, 1]), [p, count, q]);
    const acc = scatterAdd(zeros([p, x.shape[axis]!, q], x.dtype), i3, g3, 1);
    return [reshape(acc, x.shape), null];
  },
};

export const gather = (x: Tensor, indices: Tensor, axis = 0): Tensor =>
  apply1(Gather, [x, indices], { axis: normAxes('gather', [axis], x.rank)[0]! });

// ---- gatherElements: out[i][j] = x[i][idx[i][j]] along an axis ----

const GatherElements: Primitive<{ axis: number }> = {
  name: 'gatherElements',
  infer([x, idx], { axis }) {
    if (!isIndex(idx!)) throw new Error(`gatherElements: indices must be int32 or int64, got ${idx!.dtype}`);
    if (idx!.rank !== x!.rank || idx!.shape.some((d, i) => i !== axis && d !== x!.shape[i])) {
      throw new Error(`gatherElements: indices ${idx} do not fit ${x} on axis ${axis}`);
    }
    return [{ dtype: x!.dtype, shape: [...idx!.shape] }];
  },
  lower: lowerAs('GatherElements', ({ axis }) => ({ axis })),
  vjp(n, [g]) {
    const [x, idx] = n.inputs as [Tensor, Tensor];
    return [scatterAdd(zeros(x.shape, x.dtype), idx, g!, n.attrs.axis), null];
  },
};

export const gatherElements = (x: Tensor, indices: Tensor, axis: number): Tensor =>
  apply1(GatherElements, [x, indices], { axis: normAxes('gatherElements', [axis], x.rank)[0]! });

// ---- scatterAdd: data with updates added at indices along an axis ----

const ScatterAdd: Primitive<{ axis: number }> = {
  name: 'scatterAdd',
  infer([data, idx, upd], { axis }) {
    if (!isIndex(idx!)) throw new Error(`scatterAdd: indices must be int32 or int64, got ${idx!.dtype}`);
    if (idx!.shape.join() !== upd!.shape.join() || idx!.rank !== data!.rank || upd!.dtype !== data!.dtype) {
      throw new Error(`scatterAdd: updates ${upd} and indices ${idx} must share a shape and fit ${data}`);
    }
    void axis;
    return [{ dtype: data!.dtype, shape: [...data!.shape] }];
  },
  lower: lowerAs('ScatterElements', ({ axis }) => ({ axis, reduction: 'add' })),
  vjp(n, [g]) {
    const idx = n.inputs[1]!;
    return [g!, null, gatherElements(g!, idx, n.attrs.axis)];
  },
};

export const scatterAdd = (data: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor =>
  apply1(ScatterAdd, [data, indices, updates], { axis: normAxes('scatterAdd', [axis], data.rank)[0]! });

// ---- scatterND: data with whole slices replaced at index tuples (ONNX ScatterND, no reduction) ----

const ScatterND: Primitive = {
  name: 'scatterND',
  infer([data, idx, upd]) {
    if (idx!.dtype !== 'int64') throw new Error(`scatterND: indices must be int64, got ${idx!.dtype}`);
    const k = idx!.shape.at(-1) ?? 0;
    const want = [...idx!.shape.slice(0, -1), ...data!.shape.slice(k)];
    if (k < 1 || k > data!.rank || upd!.dtype !== data!.dtype || upd!.shape.join() !== want.join()) {
      throw new Error(`scatterND: updates ${upd} must be [${want}] for indices ${idx} into ${data}`);
    }
    return [{ dtype: data!.dtype, shape: [...data!.shape] }];
  },
  lower: lowerAs('ScatterND'),
  // No gradient rule: it writes caches during generation, never on a differentiated path.
};

/**
 * data with data[idx[..., :]] = updates[...] for each index tuple in the last axis of `indices` (k ≤ rank
 * of data; each tuple picks a slice of the remaining axes). Tuples must be distinct (ONNX leaves repeats
 * undefined). One copy of data plus the slices written, where a broadcast select reads and writes all of data.
 */
export const scatterND = (data: Tensor, indices: Tensor, updates: Tensor): Tensor =>
  apply1(ScatterND, [data, indices, updates], {});

// ---- non-differentiable helpers for sampling ----

const ArgMax: Primitive<{ axis: number }> = {
  name: 'argmax',
  infer([x], { axis }) {
    return [{ dtype: 'int64', shape: x!.shape.filter((_, i) => i !== axis) }];
  },
  lower(e, n) {
    const attrs = { axis: n.attrs.axis, keepdims: 0, select_last_index: 0 };
    e.node('ArgMax', [e.name(n.inputs[0]!)], [e.name(n.outputs[0]!)], attrs);
  },
  vjp: 'none',
};

/** Index of the first maximum along an axis (int64). */
export const argmax = (x: Tensor, axis = -1): Tensor =>
  apply1(ArgMax, [x], { axis: normAxes('argmax', [axis], x.rank)[0]! });

const TopK: Primitive<{ k: number }> = {
  name: 'topK',
  infer([x], { k }) {
    const s = [...x!.shape.slice(0, -1), k];
    return [
      { dtype: x!.dtype, shape: s },
      { dtype: 'int64', shape: s },
    ];
  },
  lower(e, n) {
    const [values, indices] = n.outputs as [Tensor, Tensor];
    e.node('TopK', [e.name(n.inputs[0]!), e.ints([n.attrs.k])], [e.name(values), e.name(indices)], {
      axis: -1,
      largest: 1,
      sorted: 1,
    });
  },
  // The values are entries of x, so their gradient is scattered back to where they came from. ('none' here
  // would silently give zero gradients to anything computed from topK values.)
  vjp(n, [gValues]) {
    const x = n.inputs[0]!;
    if (!gValues) return [null];
    return [scatterAdd(zeros(x.shape, x.dtype), n.outputs[1]!, gValues, x.rank - 1)];
  },
};

/** The k largest values on the last axis, sorted descending, and their indices. */
export function topK(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  if (!Number.isInteger(k) || k < 1 || k > x.shape[x.rank - 1]!) throw new Error(`topK: bad k ${k} for ${x}`);
  const [values, indices] = currentGraph().apply(TopK, [x], { k });
  return { values: values!, indices: indices! };
}
