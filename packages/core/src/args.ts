import type { Tensor } from '@rlhfkit/engine';

// Argument checks shared by the host-side functions. Every error names the function, the argument and the
// reason, so a bad batch fails where it is built rather than as a NaN three steps later
// (rlhf-conventions.md, complaint 5).

/** Copy an array-like of numbers into a Float64Array, rejecting non-arrays and non-finite entries. */
export function toF64(fn: string, name: string, x: ArrayLike<number>): Float64Array {
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new Error(`${fn}: ${name} must be an array of numbers`);
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Number(x[i]);
    if (!Number.isFinite(v)) throw new Error(`${fn}: ${name}[${i}] is ${x[i]}, not a finite number`);
    out[i] = v;
  }
  return out;
}

/** Throw unless every named array has the length of the first. */
export function sameLength(fn: string, arrays: Record<string, ArrayLike<number>>): number {
  const entries = Object.entries(arrays);
  const [firstName, first] = entries[0]!;
  for (const [name, a] of entries.slice(1)) {
    if (a.length !== first.length) {
      throw new Error(`${fn}: ${name} has ${a.length} entries but ${firstName} has ${first.length}`);
    }
  }
  return first.length;
}

/**
 * A 0/1 mask of length n as a Float64Array; all ones when mask is undefined.
 * Entries must be exactly 0 or 1 (booleans are accepted as numbers by callers that pass them).
 */
export function maskOf(fn: string, mask: ArrayLike<number> | undefined, n: number, like = 'x'): Float64Array {
  if (mask === undefined) return new Float64Array(n).fill(1);
  if (mask.length !== n) throw new Error(`${fn}: mask has ${mask.length} entries but ${like} has ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(mask[i]);
    if (v !== 0 && v !== 1) throw new Error(`${fn}: mask[${i}] is ${mask[i]}; a mask holds only 0 and 1`);
    out[i] = v;
  }
  return out;
}

/** Throw unless x is a finite number in [lo, hi]. */
export function inRange(fn: string, name: string, x: number, lo: number, hi: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi) {
    throw new Error(`${fn}: ${name} must be a number in [${lo}, ${hi}], got ${x}`);
  }
  return x;
}

/** Throw unless x is a finite number > 0. */
export function positive(fn: string, name: string, x: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new Error(`${fn}: ${name} must be a finite number > 0, got ${x}`);
  }
  return x;
}

/** Throw unless kind is one of the allowed names. */
export function oneOf<K extends string>(fn: string, name: string, kind: unknown, allowed: readonly K[]): K {
  if (typeof kind !== 'string' || !(allowed as readonly string[]).includes(kind)) {
    throw new Error(`${fn}: unknown ${name} '${String(kind)}'; expected one of ${allowed.join(', ')}`);
  }
  return kind as K;
}

/** Throw unless every named tensor has the first one's shape and float dtype (for in-graph losses). */
export function sameTensors(fn: string, tensors: Record<string, Tensor>): Tensor {
  const entries = Object.entries(tensors);
  const [firstName, first] = entries[0]!;
  if (first.dtype !== 'float32' && first.dtype !== 'float64') {
    throw new Error(`${fn}: ${firstName} must be a float32 or float64 tensor, got ${first.dtype}`);
  }
  for (const [name, t] of entries.slice(1)) {
    if (t.dtype !== first.dtype) {
      throw new Error(
        `${fn}: ${name} is ${t.dtype} but ${firstName} is ${first.dtype}; pass masks and targets as float ` +
          `tensors of the data's dtype`,
      );
    }
    if (t.shape.join() !== first.shape.join()) {
      throw new Error(`${fn}: ${name} has shape [${t.shape}] but ${firstName} has shape [${first.shape}]`);
    }
  }
  return first;
}
