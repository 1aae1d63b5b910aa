/** Host-side batching of token sequences into the padded arrays the programs take. */

export interface PaddedBatch {
  batch: number;
  /** Padded length. */
  length: number;
  /** (B, length) token ids; padding holds padId. */
  ids: Float64Array;
  /** (B, length) position ids: the number of real tokens before each token (0 on padding). */
  positions: Float64Array;
  /** (B, length) 1 on real tokens, 0 on padding. */
  mask: Float32Array;
}

function check(seqs: readonly (readonly number[])[], length: number, what: string): void {
  if (seqs.length === 0) throw new Error(`${what}: no sequences given`);
  seqs.forEach((s, b) => {
    if (s.length === 0) throw new Error(`${what}: sequence ${b} is empty`);
    if (s.length > length)
      throw new Error(`${what}: sequence ${b} has ${s.length} tokens, more than ${length}`);
  });
}

function pad(
  seqs: readonly (readonly number[])[],
  padId: number,
  side: 'left' | 'right',
  length?: number,
): PaddedBatch {
  const T = length ?? Math.max(...seqs.map((s) => s.length));
  const what = side === 'left' ? 'padLeft' : 'padRight';
  check(seqs, T, what);
  const B = seqs.length;
  const out: PaddedBatch = {
    batch: B,
    length: T,
    ids: new Float64Array(B * T).fill(padId),
    positions: new Float64Array(B * T),
    mask: new Float32Array(B * T),
  };
  seqs.forEach((s, b) => {
    const off = b * T + (side === 'left' ? T - s.length : 0);
    s.forEach((tok, t) => {
      out.ids[off + t] = tok;
      out.positions[off + t] = t;
      out.mask[off + t] = 1;
    });
  });
  return out;
}

/** Left padding (real tokens end at the last column), as generation needs: every row's next token is at P. */
export const padLeft = (seqs: readonly (readonly number[])[], padId: number, length?: number): PaddedBatch =>
  pad(seqs, padId, 'left', length);

/** Right padding (real tokens start at column 0), as training and scoring use. */
export const padRight = (seqs: readonly (readonly number[])[], padId: number, length?: number): PaddedBatch =>
  pad(seqs, padId, 'right', length);

/** Round a length up to a multiple of `to`, so programs compiled per shape are reused across calls. */
export const bucket = (n: number, to = 8): number => Math.ceil(n / to) * to;
