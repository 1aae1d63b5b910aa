// `rlhf sft` on conversational rows and `rlhf generate` from a Parquet prompts file, end to end on a tiny model.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { jsonLines, recordingIo, tempDir, tinyModelDir } from './helpers.js';

let dir: string;
let model: string;

beforeAll(async () => {
  dir = tempDir();
  model = await tinyModelDir(join(dir, 'model'));
});

describe('rlhf sft', () => {
  it('fine-tunes on conversational rows from a JSON file, with the loss on the assistant turns', async () => {
    const rows = Array.from({ length: 24 }, (_, i) => ({
      messages: [
        { role: 'user', content: `the cat ${i % 3}` },
        { role: 'assistant', content: ['sat on the mat.', 'ran in the fog.', 'we see the sea.'][i % 3] },
      ],
    }));
    writeFileSync(join(dir, 'chat.json'), JSON.stringify(rows));
    const r = recordingIo();
    const argv = ['sft', '--model', model, '--data', join(dir, 'chat.json'), '--out', join(dir, 'sft')];
    expect(
      await main([...argv, '--steps', '30', '--lr', '0.01', '--eval-fraction', '0.25', '--json'], r.io),
      r.err(),
    ).toBe(0);
    const evals = jsonLines(join(dir, 'sft', 'eval.jsonl'));
    expect(evals.at(-1)!['eval_loss']).toBeLessThan(evals[0]!['eval_loss'] as number);
    expect(existsSync(join(dir, 'sft', 'model', 'model.safetensors'))).toBe(true);
  });
});

describe('rlhf generate', () => {
  it('writes one JSON line per completion for a Parquet prompts file, keeping the other columns', async () => {
    const prompts = join(dir, 'prompts.parquet');
    parquetWriteFile({
      filename: prompts,
      columnData: [
        { name: 'prompt', data: ['the cat', 'a dog'], type: 'STRING' },
        { name: 'id', data: [7, 8], type: 'INT32' },
      ],
    });
    const out = join(dir, 'gen.jsonl');
    const argv = ['generate', '--model', model, '--prompts', prompts, '--num-return-sequences', '2'];
    const r = recordingIo();
    expect(await main([...argv, '--max-new-tokens', '6', '--out', out], r.io), r.err()).toBe(0);
    const rows = jsonLines(out);
    expect(rows.map((x) => [x['prompt'], x['id']])).toEqual([
      ['the cat', 7],
      ['the cat', 7],
      ['a dog', 8],
      ['a dog', 8],
    ]);
    expect(typeof rows[0]!['completion']).toBe('string');
  });

  it('prints the completion of one --prompt, the same for the same --seed, greedy at --temperature 0', async () => {
    const once = async (...more: string[]) => {
      const r = recordingIo();
      expect(
        await main(
          ['generate', '--model', model, '--prompt', 'the cat', '--max-new-tokens', '6', ...more],
          r.io,
        ),
      ).toBe(0);
      return r.out();
    };
    expect(await once('--seed', '3')).toBe(await once('--seed', '3'));
    expect(await once('--temperature', '0', '--seed', '1')).toBe(
      await once('--temperature', '0', '--seed', '2'),
    );
  });

  it('refuses a prompt that leaves no room for --max-new-tokens, and asks for one source of prompts', async () => {
    const r = recordingIo();
    expect(
      await main(['generate', '--model', model, '--prompt', 'the cat', '--max-new-tokens', '40'], r.io),
    ).toBe(2);
    expect(r.err()).toContain("+ --max-new-tokens 40 exceed the model's context (32 tokens)");
    expect(await main(['generate', '--model', model], r.io)).toBe(2);
    expect(r.err()).toContain('--prompt: give exactly one of --prompt TEXT and --prompts FILE');
  });
});
