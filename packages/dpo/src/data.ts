/**
 * Preference rows as token sequences. Every training item is two sequences, forwarded together:
 *   paired (DPO family): (prompt + chosen, prompt + rejected)
 *   unpaired (KTO):      (prompt_i + completion_i, prompt_i + completion_j), the second a mismatched pair for the
 *                        KL reference point, built as TRL does: completions rotated by one within consecutive
 *                        chunks of batchSize rows (trl/trainer/kto_trainer.py, add_kl_completion_ids)
 * As in TRL, prompt and completion are tokenized apart and joined, the completion ends with EOS, and a sequence
 * over maxLength keeps its first maxLength tokens (truncation_mode 'keep_start'); an item whose prompt leaves no
 * completion token is dropped and reported. A record without a prompt (TRL's implicit-prompt format) takes the
 * common token prefix of chosen and rejected as its prompt. An empty prompt becomes the BOS token, so the first
 * completion token has a context.
 */
import type { Tokenizer } from '@rlhfkit/model';
import type { PreferenceRecord } from '@rlhfkit/reward-model';

/** One unpaired row (TRL's unpaired preference format: prompt, completion, label). */
export interface UnpairedRecord {
  prompt: string;
  completion: string;
  /** true: a desirable completion; false: an undesirable one. */
  label: boolean;
  /** 1-based line in the source file (or index + 1). */
  line: number;
}

/** A token sequence and where its completion starts. */
export interface SeqRow {
  ids: number[];
  promptLength: number;
}

/** Two sequences trained together, and the row's label (1 for every pair; KTO's desirability). */
export interface Item {
  a: SeqRow;
  b: SeqRow;
  label: number;
  line: number;
}

export interface Encoded {
  items: Item[];
  /** Source lines of the items dropped because the prompt filled maxLength. */
  dropped: number[];
}

const isPaired = (r: PreferenceRecord | UnpairedRecord): r is PreferenceRecord => 'chosen' in r;

/** TRL's unpair_preference_dataset: every chosen row (label true), then every rejected one (label false). */
export function unpair(records: readonly PreferenceRecord[]): UnpairedRecord[] {
  const half = (pick: 'chosen' | 'rejected') =>
    records.map((r) => ({ prompt: r.prompt, completion: r[pick], label: pick === 'chosen', line: r.line }));
  return [...half('chosen'), ...half('rejected')];
}

function commonPrefix(a: number[], b: number[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

/** Encode rows for the given loss family; `kto` takes unpaired rows (pairs are unpaired first). */
export function encodeRows(
  tok: Tokenizer,
  records: readonly (PreferenceRecord | UnpairedRecord)[],
  opts: { kto: boolean; maxLength: number; batchSize: number },
): Encoded {
  const eos = tok.eosTokenId;
  const promptIds = (text: string) => {
    const p = tok.encode(text);
    return p.length ? p : [tok.bosTokenId];
  };
  const seq = (prompt: number[], completion: number[]): SeqRow | null =>
    prompt.length >= opts.maxLength
      ? null
      : { ids: [...prompt, ...completion, eos].slice(0, opts.maxLength), promptLength: prompt.length };
  const out: Encoded = { items: [], dropped: [] };
  const push = (a: SeqRow | null, b: SeqRow | null, label: number, line: number) => {
    if (a && b) out.items.push({ a, b, label, line });
    else out.dropped.push(line);
  };

  const paired = records.filter(isPaired);
  if (!opts.kto) {
    if (paired.length !== records.length) {
      throw new Error(
        'unpaired rows (prompt, completion, label) train with lossType kto; the others need pairs',
      );
    }
    for (const r of paired) {
      let [p, c, x] = [promptIds(r.prompt), tok.encode(r.chosen), tok.encode(r.rejected)];
      if (r.prompt === '') {
        const k = commonPrefix(c, x);
        [p, c, x] = [k ? c.slice(0, k) : [tok.bosTokenId], c.slice(k), x.slice(k)];
      }
      push(seq(p, c), seq(p, x), 1, r.line);
    }
    return out;
  }

  if (paired.length > 0 && paired.length !== records.length) {
    throw new Error('give either preference pairs or unpaired rows, not a mix');
  }
  const rows = paired.length > 0 ? unpair(paired) : (records as UnpairedRecord[]);
  const encoded = rows.map((r) => ({ p: promptIds(r.prompt), c: tok.encode(r.completion), r }));
  const B = opts.batchSize;
  encoded.forEach(({ p, c, r }, i) => {
    const start = i - (i % B);
    const end = Math.min(start + B, encoded.length);
    const j = i === start ? end - 1 : i - 1; // the completion rotated in: x_i with y_{i-1} (cyclic in the chunk)
    push(seq(p, c), seq(p, encoded[j]!.c), r.label ? 1 : 0, r.line);
  });
  return out;
}

/** (R, T) padded arrays for R sequences: ids, attention mask, next-token targets and the completion mask. */
export interface RowBatch {
  ids: Float64Array;
  attn: Float32Array;
  targets: Float64Array;
  lossMask: Float32Array;
}

/**
 * Right-padded layout: the logits at column j score token j + 1, so a completion spanning columns
 * [p, L) is scored at columns [p - 1, L - 1).
 */
export function layoutRows(rows: readonly SeqRow[], T: number, padId: number): RowBatch {
  const R = rows.length;
  const out: RowBatch = {
    ids: new Float64Array(R * T).fill(padId),
    attn: new Float32Array(R * T),
    targets: new Float64Array(R * T).fill(padId),
    lossMask: new Float32Array(R * T),
  };
  rows.forEach((row, r) => {
    const L = row.ids.length;
    if (L > T) throw new Error(`layoutRows: row ${r} has ${L} tokens, more than ${T}`);
    for (let j = 0; j < L; j++) {
      out.ids[r * T + j] = row.ids[j]!;
      out.attn[r * T + j] = 1;
      if (j + 1 < L) out.targets[r * T + j] = row.ids[j + 1]!;
      if (j >= row.promptLength - 1 && j + 1 < L) out.lossMask[r * T + j] = 1;
    }
  });
  return out;
}
