// Pairwise preference data for reward-model training: load a preference dataset (io's TRL reader: explicit or
// implicit prompt, standard or conversational, from .jsonl, .json or .parquet), split it into train and held-out
// sets, and write one back atomically. Conversations go through a chat template when one is given, else are
// flattened to "role: content" lines; an optional numeric "margin" is kept. Every problem is a DataError naming the file, row and column.

import { Rng } from '@rlhfkit/engine';
import {
  DataError,
  type Dataset,
  type Message,
  maxLineBytesDefault,
  readDataset,
  type Text,
  writeFileAtomic,
} from '@rlhfkit/io';

/** One validated preference pair. */
export interface PreferenceRecord {
  /** The prompt; '' when the file gives chosen and rejected as full texts (TRL's implicit-prompt format). */
  prompt: string;
  /** The preferred completion (or full text when prompt is ''). */
  chosen: string;
  /** The dispreferred completion (or full text when prompt is ''). */
  rejected: string;
  /** How much chosen should beat rejected by, as in -log σ(r_c - r_r - margin); 0 when absent. */
  margin: number;
  /** 1-based line or row in the source file (or index + 1 for records not read from a file). */
  line: number;
}

export interface LoadPreferencesOptions {
  /** Longest accepted JSON line in bytes, line ending excluded; longer lines fail without being read whole. */
  maxLineBytes?: number;
  /**
   * A chat template (the tokenizer's applyChatTemplate) for conversational rows, used as TRL's
   * maybe_apply_chat_template: the prompt with the assistant's turn opened, each completion the rest of the
   * whole conversation's rendering. Without it, conversations are flattened to "role: content" lines.
   */
  chat?: (messages: readonly Message[], addGenerationPrompt: boolean) => string;
}

export const loadPreferencesDefaults = {
  /** 1 MiB: far above any sane preference pair, far below what would hurt memory. */
  maxLineBytes: maxLineBytesDefault,
} satisfies Required<Pick<LoadPreferencesOptions, 'maxLineBytes'>>;

const flatten = (t: Text): string =>
  typeof t === 'string' ? t : t.map((m) => `${m.role}: ${m.content}`).join('\n');

/** A row's texts: strings as they are; conversations through `chat` (prompt, then each completion's remainder). */
function texts(
  prompt: Text | null,
  completions: [Text, Text],
  chat: LoadPreferencesOptions['chat'],
): { prompt: string; completions: [string, string] } {
  const conversational = [prompt, ...completions].some((t) => t !== null && typeof t !== 'string');
  if (!chat || !conversational) {
    const p = prompt === null ? '' : flatten(prompt);
    return { prompt: p, completions: [flatten(completions[0]), flatten(completions[1])] };
  }
  const msgs = (t: Text, role: string): Message[] => (typeof t === 'string' ? [{ role, content: t }] : t);
  const head = prompt === null ? [] : msgs(prompt, 'user');
  const p = head.length ? chat(head, true) : '';
  const rest = (c: Text) => {
    const full = chat([...head, ...msgs(c, 'assistant')], false);
    return full.startsWith(p) ? full.slice(p.length) : full;
  };
  return { prompt: p, completions: [rest(completions[0]), rest(completions[1])] };
}

/** The checks that need the flattened text: non-empty, chosen different from rejected. `where` prefixes errors. */
function checkPair(r: PreferenceRecord, file: string, where: string): PreferenceRecord {
  const fail = (detail: string, field: string) =>
    new DataError(`${where}: ${detail}`, { file, line: r.line, field });
  for (const field of ['chosen', 'rejected'] as const) {
    if (r[field].trim() === '')
      throw fail(`column "${field}" is empty; give it the ${field} text or drop the row`, field);
  }
  if (!Number.isFinite(r.margin))
    throw fail('column "margin" must be a finite number; remove it or give a number', 'margin');
  if (r.chosen === r.rejected) {
    throw fail(
      'columns "chosen" and "rejected" are identical, so the pair teaches nothing; fix or drop the row',
      'rejected',
    );
  }
  return r;
}

/**
 * Read and validate every record of a preference dataset.
 *
 * All or nothing: the whole file is read and validated before anything is returned, so a training run never
 * starts on a half-read or partly bad file. The first problem throws a DataError whose message names the
 * file, the row (line) and the column, and says what to do.
 */
export async function loadPreferences(
  path: string,
  opts: LoadPreferencesOptions = {},
): Promise<PreferenceRecord[]> {
  return preferenceRecords(await readPreferences(path, opts), opts.chat);
}

/** The rows of a preference dataset, validated as rows (loadPreferences's first half). */
export function readPreferences(path: string, opts: Pick<LoadPreferencesOptions, 'maxLineBytes'> = {}) {
  const maxLineBytes = opts.maxLineBytes ?? loadPreferencesDefaults.maxLineBytes;
  return readDataset(path, ['preference'], 'a reward model', { maxLineBytes });
}

/** Preference rows as records: texts rendered (or flattened), then checked (loadPreferences's second half). */
export function preferenceRecords(
  data: Dataset<'preference'>,
  chat?: LoadPreferencesOptions['chat'],
): PreferenceRecord[] {
  return data.examples.map((e) => {
    const where = data.rowFormat === 'jsonl' ? `${data.file}:${e.n}` : `${data.file} row ${e.n}`;
    const t = texts(e.prompt, [e.chosen, e.rejected], chat);
    const r = {
      prompt: t.prompt,
      chosen: t.completions[0],
      rejected: t.completions[1],
      margin: e.margin,
      line: e.n,
    };
    return checkPair(r, data.file, where);
  });
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
  const lines = records.map((input, i) => {
    const r = {
      prompt: input.prompt ?? '',
      chosen: input.chosen,
      rejected: input.rejected,
      margin: input.margin ?? 0,
      line: i + 1,
    };
    const { prompt, chosen, rejected, margin } = checkPair(r, path, `${path}:${i + 1}`);
    return JSON.stringify({
      ...(prompt === '' ? {} : { prompt }),
      chosen,
      rejected,
      ...(margin === 0 ? {} : { margin }),
    });
  });
  await writeFileAtomic(path, lines.map((line) => `${line}\n`).join(''));
}
