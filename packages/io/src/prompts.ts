/** Prompts for RL and generation: a JSONL file of {"prompt": "..."} records (or plain JSON strings), read whole. */
import { DataError, lineError } from './data-error.js';
import { readJsonl } from './jsonl.js';

/** Read every prompt; errors name the file and line. Nothing is returned from a half-valid file. */
export async function readPrompts(path: string): Promise<string[]> {
  const out = (await readJsonl(path)).map(({ line, value }) => {
    const p = typeof value === 'string' ? value : (value as { prompt?: unknown } | null)?.prompt;
    if (typeof p !== 'string' || p.length === 0) {
      throw lineError(path, line, 'column "prompt" must be a non-empty string', 'prompt');
    }
    return p;
  });
  if (out.length === 0) throw new DataError(`${path}: has no prompts`, { file: path });
  return out;
}
