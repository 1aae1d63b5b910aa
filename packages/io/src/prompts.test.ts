import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPrompts } from './prompts.js';

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'prompts-')), 'p.jsonl');
  writeFileSync(path, text);
  return path;
};

describe('readPrompts', () => {
  it('reads {"prompt"} records and plain strings, skipping blank lines', async () => {
    expect(await readPrompts(file('{"prompt": "a", "x": 1}\n\n"b"\n'))).toEqual(['a', 'b']);
  });

  it('names the file and line of a record without a prompt', async () => {
    const path = file('{"prompt": "a"}\n{"text": "b"}\n');
    await expect(readPrompts(path)).rejects.toThrow(`${path}:2: missing column "prompt" (found text)`);
  });

  it('says a file without records has no prompts', async () => {
    const path = file('\n');
    await expect(readPrompts(path)).rejects.toThrow(`${path}: has no rows`);
  });
});
