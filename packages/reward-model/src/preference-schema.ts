// What one preference record may look like on disk, and how a bad one is explained. The zod schema checks
// structure; `parsePreferenceRecord` then normalises (flattens conversations, fills defaults) and applies the
// checks that need the normalised text (non-empty, chosen differs from rejected). Every failure becomes one
// DataError naming the file, line and field.

import { lineError } from '@rlhfkit/io';
import { z } from 'zod';

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
  /** 1-based line in the source file (or index + 1 for records not read from a file). */
  line: number;
}

// TRL's conversational variant: a list of chat messages. Flattened to "role: content" lines.
const message = z.object({ role: z.string(), content: z.string() });
const text = z.union([z.string(), z.array(message).min(1)]);
const recordSchema = z.object({
  prompt: text.optional(),
  chosen: text,
  rejected: text,
  margin: z.number().optional(),
});

const FORMATS =
  'each line must be a JSON object {"chosen", "rejected"} (full texts) or {"prompt", "chosen", "rejected"}, ' +
  'with an optional numeric "margin"';
const TEXT = 'a string (or a non-empty list of {"role", "content"} messages)';
const FLATTEN = 'messages must be {"role": string, "content": string}; flatten other content to text first';

/** Validate and normalise one parsed JSON value from `file` at `line`. Throws a DataError. */
export function parsePreferenceRecord(raw: unknown, file: string, line: number): PreferenceRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw lineError(file, line, `line is JSON ${describe(raw)}, not an object; ${FORMATS}`);
  }
  const result = recordSchema.safeParse(raw);
  if (!result.success) throw explain(result.error.issues[0]!, raw as Record<string, unknown>, file, line);
  const r = result.data;
  const record: PreferenceRecord = {
    prompt: r.prompt === undefined ? '' : flatten(r.prompt),
    chosen: flatten(r.chosen),
    rejected: flatten(r.rejected),
    margin: r.margin ?? 0,
    line,
  };
  for (const field of ['chosen', 'rejected'] as const) {
    if (record[field].trim() === '') {
      throw lineError(
        file,
        line,
        `field "${field}" is empty; give it the ${field} text or drop the line`,
        field,
      );
    }
  }
  if (record.chosen === record.rejected) {
    throw lineError(
      file,
      line,
      'fields "chosen" and "rejected" are identical, so the pair teaches nothing; fix or drop the line',
      'rejected',
    );
  }
  return record;
}

function flatten(value: string | { role: string; content: string }[]): string {
  return typeof value === 'string' ? value : value.map((m) => `${m.role}: ${m.content}`).join('\n');
}

type Issue = z.core.$ZodIssue;

/** Turn the first zod issue into one plain sentence; `path` prefixes issues found inside a union branch. */
function explain(
  issue: Issue,
  raw: Record<string, unknown>,
  file: string,
  line: number,
  path: PropertyKey[] = [],
): Error {
  const full = [...path, ...issue.path];
  const field = fieldName(full);
  const value = valueAt(raw, full);
  const top = full.length === 1;
  const inMessage = full.length > 1;
  if (issue.code === 'invalid_union') {
    // Follow the branch that got furthest (the message list when the value is an array).
    const deepest = issue.errors
      .map((branch) => branch[0])
      .filter((i): i is Issue => i !== undefined)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (Array.isArray(value) && deepest !== undefined && deepest.path.length > 0) {
      return explain(deepest, raw, file, line, full);
    }
    if (value === undefined) return missing(raw, field, file, line);
    return lineError(file, line, `field "${field}" must be ${TEXT}, got ${describe(value)}`, field);
  }
  if (value === undefined && top) return missing(raw, field, file, line);
  if (issue.code === 'too_small') {
    return lineError(file, line, `field "${field}" is an empty message list; ${FLATTEN}`, field);
  }
  if (issue.code === 'invalid_type' && value === undefined) {
    return lineError(file, line, `field "${field}" is missing; ${FLATTEN}`, field);
  }
  if (issue.code === 'invalid_type') {
    const expected = field === 'margin' ? 'a finite number' : `a ${issue.expected}`;
    const hint = inMessage ? `; ${FLATTEN}` : field === 'margin' ? '; remove it or give a number' : '';
    return lineError(
      file,
      line,
      `field "${field}" must be ${expected}, got ${describe(value)}${hint}`,
      field,
    );
  }
  return lineError(file, line, `field "${field}": ${issue.message}`, field);
}

function missing(raw: Record<string, unknown>, field: string, file: string, line: number): Error {
  const keys = Object.keys(raw);
  const found = keys.length === 0 ? 'the object is empty' : `found ${keys.slice(0, 8).join(', ')}`;
  return lineError(file, line, `missing field "${field}" (${found}); ${FORMATS}`, field);
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
