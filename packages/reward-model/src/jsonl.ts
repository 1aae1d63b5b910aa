// Line splitting for JSONL files with a hard cap on line length. node:readline would buffer a whole line
// into one string before handing it over, so a 50 MB line would cost 50 MB+ of memory before we could
// refuse it. This reader works on byte chunks, tracks the length of the line in progress, and throws as
// soon as it passes the cap, so a huge line costs at most the cap plus one chunk.

import { lineError } from './data-errors.js';

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
