/** The streams and environment a command runs with, so commands can be run in tests without a process. */

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: { isTTY?: boolean | undefined };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Subscribes to SIGINT; returns the unsubscribe. Absent in tests. */
  onInterrupt?: (handler: () => void) => () => void;
}

/** A mistake the user can fix (bad flag, missing file): printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const exitCodes = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Draw the Ink UI only on a real terminal: both ends TTYs, not CI, and no --json. */
export function isInteractive(io: Io, json = false): boolean {
  const ci = io.env['CI'];
  return (
    io.stdin.isTTY === true && io.stdout.isTTY === true && !json && !(ci && ci !== 'false' && ci !== '0')
  );
}

/** The real process, for cli.tsx. */
export function processIo(): Io {
  // `rlhf ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(exitCodes.ok);
    throw err;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
