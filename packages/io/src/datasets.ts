/**
 * TRL's dataset formats (https://huggingface.co/docs/trl/dataset_formats), standard (strings) or
 * conversational (lists of {"role", "content"} messages), from any file readRows reads:
 *   language modeling    {"text"} or {"messages"}
 *   prompt-only          {"prompt"} (a JSON lines file of plain strings reads as prompts too)
 *   prompt-completion    {"prompt", "completion"}
 *   preference           {"prompt", "chosen", "rejected"}, or without "prompt" (implicit: full texts); an
 *                        optional numeric "margin"
 *   unpaired preference  {"prompt", "completion", "label": boolean}
 * A file's format is read from its first row's columns and every row is checked against it; the first problem
 * is a DataError naming the file, row (line) and column, and what to do. Other columns are kept in `extra`
 * (TRL hands them to reward functions).
 */
import { z } from 'zod';
import { DataError } from './data-error.js';
import { type ReadRowsOptions, type Row, type RowFormat, readRows, rowWhere } from './rows.js';

/** One chat turn; other fields (tool_calls, reasoning_content...) are kept for the chat template. */
export interface Message {
  role: string;
  content: string;
  [field: string]: unknown;
}
/** A standard text or a conversation. */
export type Text = string | Message[];

export type DatasetFormat =
  | 'language-modeling'
  | 'prompt-only'
  | 'prompt-completion'
  | 'preference'
  | 'unpaired-preference';

interface Base {
  /** 1-based line (JSON lines) or row. */
  n: number;
  /** The dataset's other columns, by name. */
  extra: Record<string, unknown>;
}
export type Example =
  | (Base & { format: 'language-modeling'; text: Text })
  | (Base & { format: 'prompt-only'; prompt: Text })
  | (Base & { format: 'prompt-completion'; prompt: Text; completion: Text })
  | (Base & { format: 'preference'; prompt: Text | null; chosen: Text; rejected: Text; margin: number })
  | (Base & { format: 'unpaired-preference'; prompt: Text; completion: Text; label: boolean });

export interface Dataset<F extends DatasetFormat = DatasetFormat> {
  file: string;
  /** How rows are located in messages: jsonl prints file:line, the others file row n. */
  rowFormat: RowFormat;
  format: F;
  examples: Extract<Example, { format: F }>[];
}

const message = z.looseObject({ role: z.string(), content: z.string() });
const text = z.union([z.string(), z.array(message).min(1)]);
const schemas = {
  'language-modeling': z.object({ text }),
  'prompt-only': z.object({ prompt: text }),
  'prompt-completion': z.object({ prompt: text, completion: text }),
  preference: z.object({
    prompt: text.optional(),
    chosen: text,
    rejected: text,
    margin: z.number().optional(),
  }),
  'unpaired-preference': z.object({ prompt: text, completion: text, label: z.boolean() }),
} satisfies Record<DatasetFormat, z.ZodObject>;

const shapes: Record<DatasetFormat, string> = {
  'language-modeling': '{"text"} or {"messages"}',
  'prompt-only': '{"prompt"}',
  'prompt-completion': '{"prompt", "completion"}',
  preference: '{"prompt", "chosen", "rejected"} or {"chosen", "rejected"}',
  'unpaired-preference': '{"prompt", "completion", "label"}',
};
const TEXT = 'a string (or a non-empty list of {"role", "content"} messages)';
const FLATTEN = 'messages must be {"role": string, "content": string}; flatten other content to text first';

/** The format a row's columns say it is in, if any. */
function formatOf(value: unknown): DatasetFormat | undefined {
  if (typeof value === 'string') return 'prompt-only';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const has = (k: string) => k in value;
  if (has('chosen') || has('rejected')) return 'preference';
  if (has('label')) return 'unpaired-preference';
  if (has('completion')) return 'prompt-completion';
  if (has('prompt')) return 'prompt-only';
  if (has('text') || has('messages')) return 'language-modeling';
  return undefined;
}

/**
 * Read a dataset in one of the `accept`ed formats; `forWhat` names its use in messages ("rlhf sft --data").
 * All or nothing: every row is validated before anything is returned.
 */
export async function readDataset<F extends DatasetFormat>(
  path: string,
  accept: readonly F[],
  forWhat: string,
  opts: ReadRowsOptions = {},
): Promise<Dataset<F>> {
  const { rows, format: rowFormat } = await readRows(path, opts);
  const expected = accept.map((f) => `${f} ${shapes[f]}`).join(', or ');
  const first = rows[0]!;
  if (typeof first.value !== 'object' || first.value === null || Array.isArray(first.value)) {
    if (typeof first.value !== 'string') parseRow(first, accept[0]!, path, rowFormat); // throws: not an object
  }
  const format = formatOf(first.value);
  if (!format || !(accept as readonly string[]).includes(format)) {
    const found = describeRow(first.value);
    const what = format ? `rows are ${format} ${shapes[format]}` : `no dataset columns (${found})`;
    throw new DataError(`${rowWhere(path, rowFormat, first.n)}: ${what}; ${forWhat} needs ${expected}`, {
      file: path,
      line: first.n,
    });
  }
  const examples = rows.map((row) => parseRow(row, format, path, rowFormat)) as Dataset<F>['examples'];
  return { file: path, rowFormat, format: format as F, examples };
}

function parseRow(row: Row, format: DatasetFormat, file: string, rowFormat: RowFormat): Example {
  const fail = (detail: string, field?: string) =>
    new DataError(`${rowWhere(file, rowFormat, row.n)}: ${detail}`, {
      file,
      line: row.n,
      ...(field === undefined ? {} : { field }),
    });
  let raw = row.value;
  if (typeof raw === 'string' && format === 'prompt-only') raw = { prompt: raw };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const what = rowFormat === 'jsonl' ? 'line' : 'row';
    throw fail(`${what} is JSON ${describe(raw)}, not an object; each row must be ${shapes[format]}`);
  }
  const obj = raw as Record<string, unknown>;
  // TRL's conversational language-modeling column is "messages".
  const messages = format === 'language-modeling' && !('text' in obj) && 'messages' in obj;
  const input = messages ? { ...obj, text: obj['messages'] } : obj;
  const result = schemas[format].safeParse(input);
  if (!result.success) {
    const e = explain(result.error.issues[0]!, input, format);
    if (!messages) throw fail(e.detail, e.field);
    const rename = (x: string) => x.replaceAll('"text', '"messages');
    throw fail(rename(e.detail), e.field.replace(/^text/, 'messages'));
  }
  const known = new Set([
    ...Object.keys(schemas[format].shape),
    format === 'language-modeling' ? 'messages' : '',
  ]);
  const extra = Object.fromEntries(Object.entries(obj).filter(([k]) => !known.has(k)));
  const d = result.data as Record<string, unknown>;
  if (format === 'preference') {
    return {
      format,
      n: row.n,
      extra,
      prompt: (d['prompt'] as Text | undefined) ?? null,
      chosen: d['chosen'] as Text,
      rejected: d['rejected'] as Text,
      margin: (d['margin'] as number | undefined) ?? 0,
    };
  }
  return { ...(d as object), format, n: row.n, extra } as Example;
}

type Issue = z.core.$ZodIssue;

/** The first zod issue as one sentence; `prefix` is the path of an enclosing union branch. */
function explain(
  issue: Issue,
  raw: Record<string, unknown>,
  format: DatasetFormat,
  prefix: PropertyKey[] = [],
): { detail: string; field: string } {
  const full = [...prefix, ...issue.path];
  const field = fieldName(full);
  const value = valueAt(raw, full);
  const inMessage = full.length > 1;
  if (issue.code === 'invalid_union') {
    // Follow the branch that got furthest (the message list when the value is an array).
    const deepest = issue.errors
      .map((branch) => branch[0])
      .filter((i): i is Issue => i !== undefined)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (Array.isArray(value) && deepest !== undefined && deepest.path.length > 0) {
      return explain(deepest, raw, format, full);
    }
    if (value === undefined) return missing(raw, field, format);
    return { field, detail: `column "${field}" must be ${TEXT}, got ${describe(value)}` };
  }
  if (value === undefined && full.length === 1) return missing(raw, field, format);
  if (issue.code === 'too_small')
    return { field, detail: `column "${field}" is an empty message list; ${FLATTEN}` };
  if (issue.code === 'invalid_type' && value === undefined) {
    return { field, detail: `column "${field}" is missing; ${FLATTEN}` };
  }
  if (issue.code === 'invalid_type') {
    const expected = field === 'margin' ? 'a finite number' : `a ${issue.expected}`;
    const hint = inMessage ? `; ${FLATTEN}` : field === 'margin' ? '; remove it or give a number' : '';
    return { field, detail: `column "${field}" must be ${expected}, got ${describe(value)}${hint}` };
  }
  return { field, detail: `column "${field}": ${issue.message}` };
}

function missing(raw: Record<string, unknown>, field: string, format: DatasetFormat) {
  return {
    field,
    detail: `missing column "${field}" (${describeRow(raw)}); each row must be ${shapes[format]}`,
  };
}

function describeRow(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `a JSON ${describe(value)}`;
  const keys = Object.keys(value);
  return keys.length === 0 ? 'the object is empty' : `found ${keys.slice(0, 8).join(', ')}`;
}

function fieldName(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v = raw;
  for (const p of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** The JSON type of a value, for messages: "number", "null", "array", "object", "Infinity", ... */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}
