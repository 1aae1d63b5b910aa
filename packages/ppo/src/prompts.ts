/** Prompts for RL: a JSONL file of {"prompt": "..."} records (or plain JSON strings), validated whole. */
import { readFile } from 'node:fs/promises';

export class PromptsError extends Error {
  override name = 'PromptsError';
}

/** Read every prompt; errors name the file and line. Nothing is returned from a half-valid file. */
export async function loadPrompts(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new PromptsError(
      e.code === 'ENOENT' ? `prompts file not found: ${path}` : `${path}: cannot read (${e.message})`,
    );
  }
  const out: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new PromptsError(`${path}:${i + 1}: invalid JSON; each line must be {"prompt": "..."}`);
      }
      const p = typeof v === 'string' ? v : (v as { prompt?: unknown } | null)?.prompt;
      if (typeof p !== 'string' || p.length === 0) {
        throw new PromptsError(`${path}:${i + 1}: field "prompt" must be a non-empty string`);
      }
      out.push(p);
    });
  if (out.length === 0) throw new PromptsError(`${path}: has no prompts`);
  return out;
}
