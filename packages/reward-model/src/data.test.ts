import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '@rlhfkit/io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreferences, type PreferenceRecord, splitPreferences, writePreferences } from './data.js';

let dir: string;
let count = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlhfkit-rm-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Write `content` to a fresh file in the temp dir and return its path. */
async function file(content: string | Uint8Array): Promise<string> {
  const path = join(dir, `prefs-${++count}.jsonl`);
  await writeFile(path, content);
  return path;
}

const jsonl = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Load `path` expecting a DataError, and return it. */
async function loadError(path: string, opts = {}): Promise<DataError> {
  const err = await loadPreferences(path, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

/** Assert the error points at `path`, `line` and `field`, and its message starts with `path:line:`. */
function expectAt(err: DataError, path: string, line: number, field: string | undefined) {
  expect(err.file).toBe(path);
  expect(err.line).toBe(line);
  expect(err.field).toBe(field);
  expect(err.message.startsWith(`${path}:${line}:`)).toBe(true);
  if (field !== undefined) expect(err.message).toContain(`"${field}"`);
}

describe('loadPreferences reads the TRL / Hugging Face preference formats', () => {
  it('reads explicit-prompt records, keeping the prompt and defaulting margin to 0', async () => {
    const path = await file(
      jsonl(
        { prompt: 'Q?', chosen: ' good', rejected: ' bad' },
        { prompt: 'R?', chosen: 'x', rejected: 'y' },
      ),
    );
    expect(await loadPreferences(path)).toEqual([
      { prompt: 'Q?', chosen: ' good', rejected: ' bad', margin: 0, line: 1 },
      { prompt: 'R?', chosen: 'x', rejected: 'y', margin: 0, line: 2 },
    ]);
  });

  it('reads implicit-prompt records (full texts) with an empty prompt', async () => {
    const path = await file(jsonl({ chosen: 'Q? good', rejected: 'Q? bad' }));
    expect(await loadPreferences(path)).toEqual([
      { prompt: '', chosen: 'Q? good', rejected: 'Q? bad', margin: 0, line: 1 },
    ]);
  });

  it('keeps numeric margins, including negative and fractional ones', async () => {
    const path = await file(
      jsonl(
        { chosen: 'a', rejected: 'b', margin: 2 },
        { chosen: 'a', rejected: 'b', margin: -0.5 },
        { chosen: 'a', rejected: 'b', margin: 0 },
      ),
    );
    expect((await loadPreferences(path)).map((r) => r.margin)).toEqual([2, -0.5, 0]);
  });

  it('flattens conversational records into "role: content" lines', async () => {
    const path = await file(
      jsonl(
        {
          prompt: [{ role: 'user', content: 'Hi?' }],
          chosen: [{ role: 'assistant', content: 'Hello!' }],
          rejected: [{ role: 'assistant', content: 'Go away.' }],
        },
        {
          chosen: [
            { role: 'user', content: 'Hi?' },
            { role: 'assistant', content: 'Hello!' },
          ],
          rejected: [
            { role: 'user', content: 'Hi?' },
            { role: 'assistant', content: 'Go away.' },
          ],
        },
      ),
    );
    const [a, b] = await loadPreferences(path);
    expect(a).toEqual({
      prompt: 'user: Hi?',
      chosen: 'assistant: Hello!',
      rejected: 'assistant: Go away.',
      margin: 0,
      line: 1,
    });
    expect(b).toEqual({
      prompt: '',
      chosen: 'user: Hi?\nassistant: Hello!',
      rejected: 'user: Hi?\nassistant: Go away.',
      margin: 0,
      line: 2,
    });
  });

  it('renders conversational records through a chat template as TRL does, when one is given', async () => {
    const path = await file(
      jsonl({
        prompt: [{ role: 'user', content: 'Hi?' }],
        chosen: [{ role: 'assistant', content: 'Hello!' }],
        rejected: [{ role: 'assistant', content: 'Go away.' }],
      }),
    );
    // A toy template: "<role>content" per turn, "<assistant>" opens the reply.
    const chat = (messages: readonly { role: string; content: string }[], open: boolean) =>
      messages.map((m) => `<${m.role}>${m.content}`).join('') + (open ? '<assistant>' : '');
    expect(await loadPreferences(path, { chat })).toEqual([
      { prompt: '<user>Hi?<assistant>', chosen: 'Hello!', rejected: 'Go away.', margin: 0, line: 1 },
    ]);
  });

  it('ignores extra keys such as dataset scores and sources', async () => {
    const path = await file(
      jsonl({ chosen: 'a', rejected: 'b', score_chosen: 9, score_rejected: 2, source: 'x' }),
    );
    expect(await loadPreferences(path)).toEqual([
      { prompt: '', chosen: 'a', rejected: 'b', margin: 0, line: 1 },
    ]);
  });

  it('skips blank lines while line numbers still count them', async () => {
    const path = await file(
      `\n${JSON.stringify({ chosen: 'a', rejected: 'b' })}\n   \n\n${JSON.stringify({ chosen: 'c', rejected: 'd' })}\n\n`,
    );
    expect((await loadPreferences(path)).map((r) => r.line)).toEqual([2, 5]);
  });

  it('tolerates a UTF-8 byte-order mark, CRLF line endings and a missing final newline', async () => {
    const body = `\uFEFF${JSON.stringify({ chosen: 'é', rejected: '€' })}\r\n${JSON.stringify({ chosen: 'c', rejected: 'd' })}`;
    const records = await loadPreferences(await file(body));
    expect(records.map((r) => [r.chosen, r.rejected, r.line])).toEqual([
      ['é', '€', 1],
      ['c', 'd', 2],
    ]);
  });
});

describe('loadPreferences gives one clear DataError per malformed input', () => {
  it('names a file that does not exist', async () => {
    const path = join(dir, 'nope.jsonl');
    const err = await loadError(path);
    expect(err.message).toBe(`file not found: ${path}`);
    expect([err.file, err.line, err.field]).toEqual([path, undefined, undefined]);
  });

  it('refuses a directory', async () => {
    const err = await loadError(dir);
    expect(err.message).toBe(`${dir}: is a directory; pass a data file`);
  });

  it('says an empty file has no records', async () => {
    const path = await file('');
    const err = await loadError(path);
    expect(err.message).toMatch(new RegExp(`^${path}: has no rows`));
    expect(err.line).toBeUndefined();
  });

  it('says a file of blank lines has no records', async () => {
    const err = await loadError(await file('\n  \r\n\n'));
    expect(err.message).toContain('has no rows');
  });

  it('points at the line and column of bad JSON', async () => {
    const path = await file(jsonl({ chosen: 'a', rejected: 'b' }) + '{"chosen": "a", "rejected": "b",}\n');
    const err = await loadError(path);
    expectAt(err, path, 2, undefined);
    expect(err.message).toMatch(
      new RegExp(`^${path}:2:33: invalid JSON \\(.+\\); each line must hold one complete JSON object$`),
    );
  });

  it('rejects a half-written last line instead of returning the lines before it', async () => {
    const path = await file(
      jsonl({ chosen: 'a', rejected: 'b' }, { chosen: 'c', rejected: 'd' }) + '{"chosen": "e", "rej',
    );
    const err = await loadError(path);
    expectAt(err, path, 3, undefined);
    expect(err.message).toContain('invalid JSON');
  });

  it('rejects a line that is JSON but not an object', async () => {
    const path = await file('["a", "b"]\n');
    const err = await loadError(path);
    expectAt(err, path, 1, undefined);
    expect(err.message).toContain('line is JSON array, not an object');
  });

  it('names a missing column and lists the keys that were found', async () => {
    const path = await file(jsonl({ chosen: 'a', rejected: 'b' }, { prompt: 'p', chosen: 'a', reject: 'b' }));
    const err = await loadError(path);
    expectAt(err, path, 2, 'rejected');
    expect(err.message).toContain('missing column "rejected" (found prompt, chosen, reject)');
  });

  it('lists the columns found when a row has none of the preference columns', async () => {
    const path = await file(jsonl({ question: 'q', response_j: 'a', response_k: 'b' }));
    const err = await loadError(path);
    expect([err.file, err.line]).toEqual([path, 1]);
    expect(err.message).toContain(`${path}:1: no dataset columns (found question, response_j, response_k)`);
  });

  it('names a field of the wrong type and the type it got', async () => {
    const path = await file(jsonl({ chosen: 'a', rejected: 'b' }, { chosen: 3, rejected: 'b' }));
    const err = await loadError(path);
    expectAt(err, path, 2, 'chosen');
    expect(err.message).toMatch(new RegExp(`^${path}:2: column "chosen" must be a string .*, got number$`));
  });

  it('rejects a prompt that is not text', async () => {
    const path = await file(jsonl({ prompt: true, chosen: 'a', rejected: 'b' }));
    const err = await loadError(path);
    expectAt(err, path, 1, 'prompt');
    expect(err.message).toContain('got boolean');
  });

  it('rejects a margin that is not a number, naming what to do', async () => {
    const path = await file(jsonl({ chosen: 'a', rejected: 'b', margin: '1.0' }));
    const err = await loadError(path);
    expectAt(err, path, 1, 'margin');
    expect(err.message).toBe(
      `${path}:1: column "margin" must be a finite number, got string; remove it or give a number`,
    );
  });

  it('rejects a null margin and one that overflows to Infinity', async () => {
    expect(
      (await loadError(await file('{"chosen": "a", "rejected": "b", "margin": null}\n'))).message,
    ).toContain('got null');
    expect(
      (await loadError(await file('{"chosen": "a", "rejected": "b", "margin": 1e400}\n'))).message,
    ).toContain('got Infinity');
  });

  it('points inside a conversational record at the bad message field', async () => {
    const path = await file(
      jsonl({
        chosen: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 5 },
        ],
        rejected: 'b',
      }),
    );
    const err = await loadError(path);
    expectAt(err, path, 1, 'chosen[1].content');
    expect(err.message).toContain('must be a string, got number');
    expect(err.message).toContain('flatten');
  });

  it('asks to flatten multimodal message content', async () => {
    const path = await file(
      jsonl({ chosen: 'a', rejected: [{ role: 'assistant', content: [{ type: 'text', text: 'x' }] }] }),
    );
    const err = await loadError(path);
    expectAt(err, path, 1, 'rejected[0].content');
    expect(err.message).toContain('got array; messages must be {"role": string, "content": string}; flatten');
  });

  it('rejects an empty message list', async () => {
    const path = await file(jsonl({ chosen: [], rejected: 'b' }));
    expectAt(await loadError(path), path, 1, 'chosen');
  });

  it('rejects an empty or whitespace-only chosen or rejected text', async () => {
    const a = await file(jsonl({ chosen: '', rejected: 'b' }));
    const errA = await loadError(a);
    expectAt(errA, a, 1, 'chosen');
    expect(errA.message).toBe(`${a}:1: column "chosen" is empty; give it the chosen text or drop the row`);
    const b = await file(jsonl({ prompt: 'p', chosen: 'a', rejected: ' \n ' }));
    expectAt(await loadError(b), b, 1, 'rejected');
  });

  it('rejects a pair whose chosen and rejected texts are identical', async () => {
    const path = await file(
      jsonl({ chosen: 'a', rejected: 'b' }, { prompt: 'p', chosen: 'same', rejected: 'same' }),
    );
    const err = await loadError(path);
    expectAt(err, path, 2, 'rejected');
    expect(err.message).toContain('are identical');
  });

  it('rejects a line over maxLineBytes', async () => {
    const path = await file(
      jsonl({ chosen: 'a', rejected: 'b' }, { chosen: 'x'.repeat(100), rejected: 'b' }),
    );
    expect(await loadPreferences(path, { maxLineBytes: 200 })).toHaveLength(2);
    const err = await loadError(path, { maxLineBytes: 50 });
    expectAt(err, path, 2, undefined);
    expect(err.message).toContain('line is longer than 50 bytes (maxLineBytes)');
  });

  it('rejects a 50 MB line at the default 1 MiB cap', async () => {
    const path = join(dir, 'huge.jsonl');
    const out = createWriteStream(path);
    const mib = 'a'.repeat(1 << 20);
    out.write(`${JSON.stringify({ chosen: 'a', rejected: 'b' })}\n{"chosen": "`);
    for (let i = 0; i < 50; i++) if (!out.write(mib)) await once(out, 'drain');
    out.end('", "rejected": "b"}\n');
    await once(out, 'finish');
    const err = await loadError(path);
    expectAt(err, path, 2, undefined);
    expect(err.message).toBe(
      `${path}:2: line is longer than 1048576 bytes (maxLineBytes); ` +
        'shorten the record, or raise maxLineBytes if such long texts are intended',
    );
  });

  it('refuses a maxLineBytes that is not a positive integer', async () => {
    const path = await file(jsonl({ chosen: 'a', rejected: 'b' }));
    await expect(loadPreferences(path, { maxLineBytes: 0 })).rejects.toThrow(RangeError);
  });
});

describe('writePreferences', () => {
  const records: PreferenceRecord[] = [
    { prompt: 'Q?', chosen: ' yes', rejected: ' no', margin: 1.5, line: 1 },
    { prompt: '', chosen: 'full "quoted"\ntext', rejected: 'other', margin: 0, line: 2 },
  ];

  it('writes JSONL that loads back to the same records', async () => {
    const path = join(dir, 'out', 'nested', 'prefs.jsonl');
    await writePreferences(path, records);
    expect(await loadPreferences(path)).toEqual(records);
    expect((await readFile(path, 'utf8')).split('\n')).toEqual([
      '{"prompt":"Q?","chosen":" yes","rejected":" no","margin":1.5}',
      '{"chosen":"full \\"quoted\\"\\ntext","rejected":"other"}',
      '',
    ]);
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const sub = join(dir, 'replace');
    await mkdir(sub);
    const path = join(sub, 'prefs.jsonl');
    await writeFile(path, 'old contents\n');
    await writePreferences(path, [{ chosen: 'a', rejected: 'b' }]);
    expect(await readdir(sub)).toEqual(['prefs.jsonl']);
    expect(await readFile(path, 'utf8')).toBe('{"chosen":"a","rejected":"b"}\n');
  });

  it('validates every record first and writes nothing when one is bad', async () => {
    const path = join(dir, 'never-written.jsonl');
    const err = await writePreferences(path, [
      { chosen: 'a', rejected: 'b' },
      { chosen: 'same', rejected: 'same' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expectAt(err as DataError, path, 2, 'rejected');
    await expect(readFile(path)).rejects.toThrow();
  });

  it('refuses an empty list, which loadPreferences would reject', async () => {
    await expect(writePreferences(join(dir, 'empty.jsonl'), [])).rejects.toThrow('no records to write');
  });
});

describe('splitPreferences', () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ id: i }));

  it('gives the same split for the same seed and a different one for another seed', () => {
    const a = splitPreferences(items, { evalFraction: 0.2, seed: 1 });
    const b = splitPreferences(items, { evalFraction: 0.2, seed: 1 });
    const c = splitPreferences(items, { evalFraction: 0.2, seed: 2 });
    expect(a).toEqual(b);
    expect(a.eval.map((r) => r.id)).not.toEqual(c.eval.map((r) => r.id));
  });

  it('returns disjoint halves that together hold every record once, in input order', () => {
    const { train, eval: held } = splitPreferences(items, { evalFraction: 0.2, seed: 3 });
    expect(held).toHaveLength(20);
    expect(train).toHaveLength(80);
    const trainSet = new Set(train);
    expect(held.some((r) => trainSet.has(r))).toBe(false);
    expect(new Set([...train, ...held]).size).toBe(100);
    for (const half of [train, held])
      expect(half.map((r) => r.id)).toEqual([...half.map((r) => r.id)].sort((x, y) => x - y));
  });

  it('holds out at least one record when evalFraction > 0, but never all of them', () => {
    expect(splitPreferences(items.slice(0, 2), { evalFraction: 0.01, seed: 0 }).eval).toHaveLength(1);
    expect(splitPreferences(items.slice(0, 3), { evalFraction: 0.99, seed: 0 }).train).toHaveLength(1);
    expect(splitPreferences(items.slice(0, 1), { evalFraction: 0.5, seed: 0 })).toEqual({
      train: [{ id: 0 }],
      eval: [],
    });
    expect(splitPreferences(items, { evalFraction: 0, seed: 0 }).eval).toEqual([]);
  });

  it('rejects fractions outside [0, 1) and non-integer seeds', () => {
    for (const evalFraction of [-0.1, 1, 1.5, Number.NaN]) {
      expect(() => splitPreferences(items, { evalFraction, seed: 0 })).toThrow(RangeError);
    }
    expect(() => splitPreferences(items, { evalFraction: 0.1, seed: 0.5 })).toThrow(
      'seed must be an integer',
    );
  });
});
