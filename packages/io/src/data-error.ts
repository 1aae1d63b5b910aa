// The one error type every data reader throws for bad input. The CLI prints `message` alone and exits 2, so
// every message stands on its own: where (file, line or row), what (column), and what to do.

/** Where a data error happened. `line` is 1-based; absent for whole-file problems (not found, empty). */
export interface DataErrorLocation {
  file: string;
  line?: number;
  field?: string;
}

/** Bad data: a malformed, missing or unreadable file, or an invalid record. */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** The path as the caller gave it. */
  readonly file: string;
  /** 1-based line (JSONL) or row (JSON, Parquet) number, or undefined when the problem is the whole file. */
  readonly line: number | undefined;
  /** The offending column (`chosen`, `chosen[2].content`, `margin`, ...), or undefined. */
  readonly field: string | undefined;

  constructor(message: string, where: DataErrorLocation, options?: { cause?: unknown }) {
    super(message, options);
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}

/** A DataError whose message starts `file:line: `, the form editors and terminals make clickable. */
export function lineError(file: string, line: number, detail: string, field?: string): DataError {
  return new DataError(
    `${file}:${line}: ${detail}`,
    field === undefined ? { file, line } : { file, line, field },
  );
}

/** Turn a filesystem error from reading `file` into a DataError with a plain message. */
export function ioError(file: string, err: unknown): DataError {
  const code = (err as { code?: unknown } | null)?.code;
  const message =
    code === 'ENOENT'
      ? `file not found: ${file}`
      : code === 'EISDIR'
        ? `${file}: is a directory; pass a data file`
        : code === 'EACCES' || code === 'EPERM'
          ? `${file}: permission denied`
          : `${file}: cannot read (${err instanceof Error ? err.message : String(err)})`;
  return new DataError(message, { file }, { cause: err });
}
