/**
 * Dataset files as rows, whatever their format: JSON lines (.jsonl), JSON (.json: an array of objects, or JSON
 * lines as Hugging Face's `to_json` writes them) and Parquet (.parquet, read by hyparquet). Every row keeps its
 * 1-based number, so errors can point at it: `file:line` for JSON lines, `file row n` otherwise.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { DataError, ioError } from './data-error.js';
import { parseJsonLine, readJsonl } from './jsonl.js';

export type RowFormat = 'jsonl' | 'json' | 'parquet';

export interface Row {
  /** 1-based line (JSON lines) or row (JSON array, Parquet). */
  n: number;
  value: unknown;
}

export interface Rows {
  file: string;
  format: RowFormat;
  rows: Row[];
}

/** Where row n is, as messages print it. */
export const rowWhere = (file: string, format: RowFormat, n: number): string =>
  format === 'jsonl' ? `${file}:${n}` : `${file} row ${n}`;

const formats: Record<string, RowFormat> = { '.jsonl': 'jsonl', '.json': 'json', '.parquet': 'parquet' };

/** Parquet integers arrive as bigint: numbers are what the rest of rlhfkit (and JSON) knows. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

async function readJsonFile(path: string): Promise<Rows> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    throw ioError(path, err);
  }
  if (!text.trimStart().startsWith('[')) {
    // JSON lines in a .json file (datasets' to_json default), one object per line.
    const rows = text
      .split(/\r?\n/)
      .map((line, i) => ({ line: line.trim(), n: i + 1 }))
      .filter(({ line }) => line !== '')
      .map(({ line, n }) => ({ n, value: parseJsonLine(line, path, n) }));
    return { file: path, format: 'jsonl', rows };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new DataError(`${path}: invalid JSON (${reason}); expected an array of row objects`, {
      file: path,
    });
  }
  return { file: path, format: 'json', rows: (value as unknown[]).map((v, i) => ({ n: i + 1, value: v })) };
}

async function readParquet(path: string): Promise<Rows> {
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === 'string') throw ioError(path, err);
    const reason = err instanceof Error ? err.message : String(err);
    throw new DataError(`${path}: cannot read as Parquet (${reason})`, { file: path }, { cause: err });
  }
  return { file: path, format: 'parquet', rows: objects.map((o, i) => ({ n: i + 1, value: plain(o) })) };
}

export interface ReadRowsOptions {
  /** JSON lines: the longest accepted line in bytes (longer lines fail without being read whole). */
  maxLineBytes?: number;
}

/** Read every row of a .jsonl, .json or .parquet file; an empty file is an error. */
export async function readRows(path: string, opts: ReadRowsOptions = {}): Promise<Rows> {
  const format = formats[extname(path).toLowerCase()];
  if (!format) {
    const stats = await stat(path).catch((err: unknown) => Promise.reject(ioError(path, err)));
    if (stats.isDirectory()) throw ioError(path, Object.assign(new Error('directory'), { code: 'EISDIR' }));
    throw new DataError(`${path}: unsupported file type; give a .jsonl, .json or .parquet file`, {
      file: path,
    });
  }
  const rows =
    format === 'jsonl'
      ? {
          file: path,
          format,
          rows: (await readJsonl(path, opts.maxLineBytes)).map(({ line, value }) => ({ n: line, value })),
        }
      : format === 'json'
        ? await readJsonFile(path)
        : await readParquet(path);
  if (rows.rows.length === 0) throw new DataError(`${path}: has no rows`, { file: path });
  return rows;
}
