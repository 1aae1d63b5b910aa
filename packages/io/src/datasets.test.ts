import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { readDataset } from './datasets.js';

const dir = mkdtempSync(join(tmpdir(), 'datasets-'));
let count = 0;
const file = (ext: string, text: string) => {
  const path = join(dir, `d${++count}${ext}`);
  writeFileSync(path, text);
  return path;
};
const jsonl = (...rows: unknown[]) => file('.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
const all = [
  'language-modeling',
  'prompt-only',
  'prompt-completion',
  'preference',
  'unpaired-preference',
] as const;

describe('readDataset reads TRL formats', () => {
  it('tells each format from its columns, standard and conversational', async () => {
    const user = [{ role: 'user', content: 'hi' }];
    const bot = [{ role: 'assistant', content: 'hello' }];
    const cases: [unknown, string][] = [
      [{ text: 'The sky is blue.' }, 'language-modeling'],
      [{ messages: [...user, ...bot] }, 'language-modeling'],
      [{ prompt: 'The sky is' }, 'prompt-only'],
      [{ prompt: user }, 'prompt-only'],
      [{ prompt: 'The sky is', completion: ' blue.' }, 'prompt-completion'],
      [{ prompt: user, completion: bot }, 'prompt-completion'],
      [{ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }, 'preference'],
      [{ chosen: 'The sky is blue.', rejected: 'The sky is green.' }, 'preference'],
      [{ prompt: user, chosen: bot, rejected: bot }, 'preference'],
      [{ prompt: 'The sky is', completion: ' blue.', label: true }, 'unpaired-preference'],
    ];
    for (const [row, format] of cases) {
      const d = await readDataset(jsonl(row), all, 'test');
      expect(d.format, JSON.stringify(row)).toBe(format);
    }
  });

  it('keeps the other columns for reward functions, and reads messages as the text', async () => {
    const d = await readDataset(jsonl({ prompt: '2+2=', answer: '4', level: 1 }), ['prompt-only'], 'test');
    expect(d.examples).toEqual([
      { format: 'prompt-only', n: 1, prompt: '2+2=', extra: { answer: '4', level: 1 } },
    ]);
    const m = await readDataset(jsonl({ messages: [{ role: 'user', content: 'x' }] }), all, 'test');
    expect(m.examples[0]).toMatchObject({ text: [{ role: 'user', content: 'x' }], extra: {} });
  });

  it('gives an implicit-prompt preference a null prompt and a default margin of 0', async () => {
    const d = await readDataset(jsonl({ chosen: 'a', rejected: 'b' }), ['preference'], 'test');
    expect(d.examples[0]).toMatchObject({ prompt: null, chosen: 'a', rejected: 'b', margin: 0 });
  });

  it('reads a JSON array and JSON lines in a .json file, numbering rows', async () => {
    const arr = await readDataset(file('.json', '[{"prompt": "a"}, {"prompt": "b"}]'), ['prompt-only'], 't');
    expect(arr.examples.map((e) => [e.n, e.prompt])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    const lines = await readDataset(
      file('.json', '{"prompt": "a"}\n\n{"prompt": "b"}\n'),
      ['prompt-only'],
      't',
    );
    expect(lines.examples.map((e) => e.n)).toEqual([1, 3]);
  });

  it('reads Parquet, with integer columns as numbers', async () => {
    const path = join(dir, 'prefs.parquet');
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'prompt', data: ['Q1', 'Q2'], type: 'STRING' },
        { name: 'chosen', data: ['good', 'fine'], type: 'STRING' },
        { name: 'rejected', data: ['bad', 'poor'], type: 'STRING' },
        { name: 'votes', data: [3n, 5n], type: 'INT64' },
      ],
    });
    const d = await readDataset(path, ['preference'], 'test');
    expect(d.examples.map((e) => [e.prompt, e.chosen, e.rejected, e.extra])).toEqual([
      ['Q1', 'good', 'bad', { votes: 3 }],
      ['Q2', 'fine', 'poor', { votes: 5 }],
    ]);
  });
});

describe('readDataset names the file, row and column of every problem', () => {
  it('says which format the rows are in when the use needs another', async () => {
    const path = jsonl({ prompt: 'p', completion: 'c' });
    await expect(readDataset(path, ['preference'], 'rlhf train-rm --data')).rejects.toThrow(
      `${path}:1: rows are prompt-completion {"prompt", "completion"}; rlhf train-rm --data needs preference`,
    );
  });

  it('lists the columns it found when none is a dataset column', async () => {
    const path = jsonl({ question: 'q', answer: 'a' });
    await expect(readDataset(path, ['prompt-only'], 'prompts')).rejects.toThrow(
      `${path}:1: no dataset columns (found question, answer); prompts needs prompt-only {"prompt"}`,
    );
  });

  it('names a missing column on a later row, with the columns found', async () => {
    const path = jsonl({ prompt: 'a', completion: 'b' }, { prompt: 'a', response: 'b' });
    await expect(readDataset(path, ['prompt-completion'], 't')).rejects.toThrow(
      `${path}:2: missing column "completion" (found prompt, response)`,
    );
  });

  it('points into a conversation at the bad message, with row numbers for JSON files', async () => {
    const path = file('.json', JSON.stringify([{ messages: [{ role: 'user', content: 5 }] }]));
    const err = (await readDataset(path, ['language-modeling'], 't').catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`${path} row 1: column "messages[0].content" must be a string, got number`);
  });

  it('rejects a row that is not an object, a label that is not a boolean, and an unknown file type', async () => {
    const arr = jsonl(['a', 'b']);
    await expect(readDataset(arr, ['prompt-only'], 't')).rejects.toThrow(
      `${arr}:1: line is JSON array, not an object`,
    );
    const label = jsonl({ prompt: 'p', completion: 'c', label: 'yes' });
    await expect(readDataset(label, ['unpaired-preference'], 't')).rejects.toThrow(
      'column "label" must be a boolean, got string',
    );
    await expect(readDataset(file('.csv', 'a,b'), all, 't')).rejects.toThrow('unsupported file type');
  });

  it('says an empty file has no rows and a corrupt Parquet file cannot be read', async () => {
    const empty = file('.jsonl', '\n');
    await expect(readDataset(empty, all, 't')).rejects.toThrow(`${empty}: has no rows`);
    const bad = file('.parquet', 'not parquet at all');
    await expect(readDataset(bad, all, 't')).rejects.toThrow(`${bad}: cannot read as Parquet`);
  });
});
