// JSON lines, the one reader of them in rlhfkit: strict records with file:line errors (datasets, prompts), and
// the lenient reader of run directories that skips a torn last line (a run killed mid-write).
//
// Line splitting has a hard cap on line length. node:readline would buffer a whole line into one string
// before handing it over, so a 50 MB line would cost 50 MB+ of memory before we could refuse it. This reader
// works on byte chunks, tracks the length of the line in progress, and throws as soon as it passes the cap,
// so a huge line costs at most the cap plus one chunk.

import { createReadStream, readFileSync } from 'node:fs';
import { DataError, ioError, lineError } from './data-error.js';

/** One decoded line: its 1-based number and text, without the line ending (LF or CRLF) or a leading BOM. */
export interface JsonlLine {
  line: number;
  text: string;
}

const LF = 0x0a;

/**
 * Yield the lines of `source` (UTF-8 bytes, any chunking). Throws a DataError naming `file` and the line
 * when a line is longer than `maxLineBytes` (not counting its line ending) or is not valid UTF-8. A UTF-8
 * byte-order mark at the very start of the file is dropped. Blank lines are yielded; callers skip them.
 */
export async function* readJsonlLines(
  source: AsyncIterable<Uint8Array>,
  file: string,
  maxLineBytes: number,
): AsyncGenerator<JsonlLine> {
  // ignoreBOM keeps U+FEFF in the output: a fresh decode per line would otherwise strip one at the start
  // of every line, not only at the start of the file.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let parts: Uint8Array[] = [];
  let length = 0;
  let line = 0;

  const finish = (): JsonlLine => {
    line++;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
    parts = [];
    length = 0;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw lineError(file, line, 'line is not valid UTF-8; re-encode the file as UTF-8');
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return { line, text };
  };

  for await (const chunk of source) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start);
      const end = newline === -1 ? chunk.length : newline;
      if (length + (end - start) > maxLineBytes) {
        throw lineError(
          file,
          line + 1,
          `line is longer than ${maxLineBytes} bytes (maxLineBytes); ` +
            'shorten the record, or raise maxLineBytes if such long texts are intended',
        );
      }
      if (end > start) {
        parts.push(chunk.subarray(start, end));
        length += end - start;
      }
      if (newline === -1) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (length > 0) yield finish();
}

/** 1 MiB: far above any sane record, far below what would hurt memory. */
export const maxLineBytesDefault = 1 << 20;

/** One parsed JSON line. */
export interface JsonlRecord {
  line: number;
  value: unknown;
}

/**
 * Read every record of a JSONL file, all or nothing: a missing or unreadable file, a line that is not JSON or
 * a line over `maxLineBytes` throws a DataError naming the file and line. Blank lines are skipped (line
 * numbers still count them); a UTF-8 BOM and CRLF endings are tolerated.
 */
export async function readJsonl(path: string, maxLineBytes = maxLineBytesDefault): Promise<JsonlRecord[]> {
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
  }
  const out: JsonlRecord[] = [];
  try {
    for await (const { line, text } of readJsonlLines(createReadStream(path), path, maxLineBytes)) {
      if (text.trim() !== '') out.push({ line, value: parseJsonLine(text, path, line) });
    }
  } catch (err) {
    // Filesystem errors (they carry a code such as ENOENT) become DataErrors; anything else is a bug.
    const fsError = typeof (err as { code?: unknown } | null)?.code === 'string';
    throw fsError && !(err instanceof DataError) ? ioError(path, err) : err;
  }
  return out;
}

/** JSON.parse one line; a DataError names file:line:column of the mistake. */
export function parseJsonLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 ends its message with "at position N" (0-based in the line): report it as a 1-based column.
    const reason = err instanceof Error ? err.message : String(err);
    const at = / in JSON at position (\d+).*$/.exec(reason);
    const where = at ? `${file}:${line}:${Number(at[1]) + 1}` : `${file}:${line}`;
    const what = at ? reason.slice(0, at.index) : reason;
    throw new DataError(`${where}: invalid JSON (${what}); each line must hold one complete JSON object`, {
      file,
      line,
    });
  }
}

/** Read a run directory's JSON lines file leniently: missing file is empty, a torn line is skipped. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // only a final partial line can be torn; skip it
    }
  }
  return out;
}
