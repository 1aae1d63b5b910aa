/** Test helpers: an Io that records output, temporary run directories, a tiny model directory. */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../src/io.js';

export interface RecordingIo {
  io: Io;
  out: () => string;
  err: () => string;
}

/** An Io with no terminal (unless tty) whose stdout and stderr are recorded. */
export function recordingIo(options: { tty?: boolean; cwd?: string } = {}): RecordingIo {
  let out = '';
  let err = '';
  const tty = options.tty ?? false;
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: tty, columns: 100 },
      stderr: { write: (s: string) => (err += s), isTTY: tty },
      stdin: { isTTY: tty },
      env: {},
      cwd: options.cwd ?? tmpdir(),
    },
    out: () => out,
    err: () => err,
  };
}

export const tempDir = (prefix = 'rlhf-tui-test-') => mkdtempSync(join(tmpdir(), prefix));

/** A run directory as a job writes it: run.json, metrics.jsonl (rows), optionally a torn last line. */
export function writeRun(
  dir: string,
  run: { kind: string; status: string; metrics: Record<string, number>[]; torn?: boolean; summary?: unknown },
): string {
  mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ kind: run.kind, status: run.status, startedAt: now, updatedAt: now }),
  );
  for (const m of run.metrics)
    appendFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ ...m, time: now })}\n`);
  if (run.torn) appendFileSync(join(dir, 'metrics.jsonl'), '{"step": 99, "objective/sco');
  if (run.summary) writeFileSync(join(dir, 'summary.json'), JSON.stringify(run.summary));
  return dir;
}

/**
 * Type keys one at a time, waiting after each until the frame changes (up to 500 ms), so a loaded machine
 * cannot deliver a key before the screen it belongs to has rendered.
 */
export async function press(
  view: { stdin: { write(s: string): void }; lastFrame(): string | undefined },
  ...keys: string[]
) {
  for (const k of keys) {
    const before = view.lastFrame();
    view.stdin.write(k);
    const until = Date.now() + 500;
    while (view.lastFrame() === before && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    // Let effects run after the render (a new screen subscribes to input in an effect).
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** A small random-init GPT-2 with a byte-level BPE tokenizer trained on `text`, saved as a model directory. */
export async function tinyModelDir(dir: string, text = TINY_TEXT): Promise<string> {
  const { CausalLM, gptConfig, initParams, Tokenizer } = await import('@rlhfkit/model');
  const tok = Tokenizer.train(text, { vocabSize: 300 });
  const config = gptConfig({
    nLayer: 2,
    nHead: 2,
    nEmbd: 32,
    vocabSize: tok.vocabSize,
    nPositions: 32,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
  });
  await new CausalLM(config, initParams(config, 5), {}, {}, tok).save(dir);
  return dir;
}

export const TINY_TEXT = 'the cat sat on the mat. a dog ran in the fog. we see the sea and the sun. '.repeat(
  30,
);

/** The rows of a JSON lines file. */
export const jsonLines = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
