import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.js';
import { readJsonlLines } from './jsonl.js';

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

async function collect(source: AsyncIterable<Uint8Array>, max = 1000) {
  const out: { line: number; text: string }[] = [];
  for await (const l of readJsonlLines(source, 'x.jsonl', max)) out.push(l);
  return out;
}

describe('readJsonlLines', () => {
  it('splits lines across arbitrary chunk boundaries, including inside a multi-byte character', async () => {
    const bytes = Buffer.from('ab\ncé€\r\n\nlast', 'utf8');
    const pieces = Array.from(bytes, (b) => Uint8Array.of(b)); // one byte per chunk
    expect(await collect(chunks(...pieces))).toEqual([
      { line: 1, text: 'ab' },
      { line: 2, text: 'cé€' },
      { line: 3, text: '' },
      { line: 4, text: 'last' },
    ]);
  });

  it('drops a byte-order mark on the first line only', async () => {
    const lines = await collect(chunks('\uFEFFa\n\uFEFFb\n'));
    expect(lines.map((l) => l.text)).toEqual(['a', '\uFEFFb']);
  });

  it('rejects invalid UTF-8 naming the line', async () => {
    await expect(collect(chunks('ok\n', Uint8Array.of(0xff, 0xfe), '\n'))).rejects.toThrow(
      'x.jsonl:2: line is not valid UTF-8',
    );
  });

  it('gives up on an endless line after reading little more than the cap', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      for (;;) {
        pulled++;
        yield chunk;
      }
    }
    const err = await collect(endless(), 1 << 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).line).toBe(1);
    expect((err as DataError).message).toMatch(/^x\.jsonl:1: line is longer than 1048576 bytes/);
    expect(pulled).toBeLessThanOrEqual(17); // 16 chunks fill the cap, the 17th crosses it
  });

  it('accepts a line of exactly the cap and rejects one byte more', async () => {
    expect(await collect(chunks('a'.repeat(10), '\n'), 10)).toEqual([{ line: 1, text: 'a'.repeat(10) }]);
    await expect(collect(chunks('ok\n', 'a'.repeat(11)), 10)).rejects.toThrow('x.jsonl:2: line is longer');
  });
});
