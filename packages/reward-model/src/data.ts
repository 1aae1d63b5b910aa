// Pairwise preference data for reward-model training: load and validate a JSONL file, split it into train
// and held-out sets, and write one back atomically. Input formats are those of TRL and Hugging Face
// preference datasets (https://huggingface.co/docs/trl/dataset_formats#preference):
//   {"prompt": "...", "chosen": "...", "rejected": "..."}   explicit prompt, completions separate
//   {"chosen": "...", "rejected": "..."}                     implicit prompt, full texts
// each with an optional numeric "margin", and TRL's conversational variant where prompt/chosen/rejected are
// lists of {"role", "content"} messages (flattened to "role: content" lines). Other keys are ignored.

import { Rng } from '@rlhfkit/engine';
import { DataError, maxLineBytesDefault, readJsonl, writeFileAtomic } from '@rlhfkit/io';
import { type PreferenceRecord, parsePreferenceRecord } from './preference-schema.js';

export interface LoadPreferencesOptions {
  /** Longest accepted line in bytes, line ending excluded; longer lines fail without being read whole. */
  maxLineBytes?: number;
}

export const loadPreferencesDefaults = {
  /** 1 MiB: far above any sane preference pair, far below what would hurt memory. */
  maxLineBytes: maxLineBytesDefault,
} satisfies Required<LoadPreferencesOptions>;

/**
 * Read and validate every record of a JSONL preference file.
 *
 * All or nothing: the whole file is read and validated before anything is returned, so a training run never
 * starts on a half-read or partly bad file. The first problem throws a DataError whose message names the
 * file, the 1-based line and the field, and says what to do. Blank lines are skipped; a UTF-8 BOM and CRLF
 * line endings are tolerated. A missing file, a file with no records, a line that is not JSON, a missing or
 * mistyped field, an empty chosen/rejected text, chosen identical to rejected, and a line over
 * `maxLineBytes` are all errors.
 */
export async function loadPreferences(
  path: string,
  opts: LoadPreferencesOptions = {},
): Promise<PreferenceRecord[]> {
  const maxLineBytes = opts.maxLineBytes ?? loadPreferencesDefaults.maxLineBytes;
  const records = (await readJsonl(path, maxLineBytes)).map(({ line, value }) =>
    parsePreferenceRecord(value, path, line),
  );
  if (records.length === 0) {
    throw new DataError(
      `${path}: has no records (empty or only blank lines); expected one JSON object per line ` +
        'with "chosen" and "rejected"',
      { file: path },
    );
  }
  return records;
}

export interface SplitOptions {
  /** Share of records held out for evaluation, in [0, 1). */
  evalFraction: number;
  /** Integer seed; the same records, fraction and seed give the same split on every run. */
  seed: number;
}

/**
 * Split records into train and held-out sets by a seeded shuffle (the engine's Rng). The eval set has
 * round(n * evalFraction) records, but at least 1 when evalFraction > 0 and n >= 2, and never all of them.
 * Both halves keep the input order; shuffling per epoch is the trainer's job. The two are disjoint and
 * together hold every input record (the same objects, not copies).
 */
export function splitPreferences<T>(records: readonly T[], opts: SplitOptions): { train: T[]; eval: T[] } {
  const { evalFraction, seed } = opts;
  if (!Number.isFinite(evalFraction) || evalFraction < 0 || evalFraction >= 1) {
    throw new RangeError(`evalFraction must be in [0, 1), got ${evalFraction}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const n = records.length;
  let nEval = Math.min(Math.round(n * evalFraction), Math.max(n - 1, 0)); // never all: training needs one
  if (evalFraction > 0 && n >= 2) nEval = Math.max(nEval, 1);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const isEval = new Uint8Array(n);
  for (const i of order.slice(0, nEval)) isEval[i] = 1;
  const train: T[] = [];
  const evalSet: T[] = [];
  records.forEach((r, i) => {
    (isEval[i] ? evalSet : train).push(r);
  });
  return { train, eval: evalSet };
}

/** What writePreferences accepts: a PreferenceRecord, or one without line, prompt or margin. */
export interface PreferenceInput {
  prompt?: string;
  chosen: string;
  rejected: string;
  margin?: number;
}

/**
 * Write records as JSONL that loadPreferences reads back to the same records. Each record is validated first
 * (a DataError names the record as line index + 1); an empty prompt and a zero margin are left out, giving
 * TRL's implicit-prompt format. Atomic (readers see the old file or the new one, never half of it); parent
 * directories are created.
 */
export async function writePreferences(path: string, records: readonly PreferenceInput[]): Promise<void> {
  if (records.length === 0) {
    throw new DataError(`${path}: no records to write (loadPreferences would reject the file)`, {
      file: path,
    });
  }
  const lines = records.map((r, i) => {
    const { prompt, chosen, rejected, margin } = parsePreferenceRecord(
      { prompt: r.prompt, chosen: r.chosen, rejected: r.rejected, margin: r.margin },
      path,
      i + 1,
    );
    return JSON.stringify({
      ...(prompt === '' ? {} : { prompt }),
      chosen,
      rejected,
      ...(margin === 0 ? {} : { margin }),
    });
  });
  await writeFileAtomic(path, lines.map((line) => `${line}\n`).join(''));
}

export type { PreferenceRecord } from './preference-schema.js';
