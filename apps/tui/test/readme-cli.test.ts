// The README's CLI examples, run as written (between its cli-examples markers) on a copy of examples/cli, in
// order: every one must exit 0 and leave what it promises. Then the refusals the README describes.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { jsonLines, recordingIo, tempDir } from './helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = readme.slice(
  readme.indexOf('<!-- cli-examples:begin -->'),
  readme.indexOf('<!-- cli-examples:end -->'),
);
const lines = block.split('\n').filter((l) => l.startsWith('rlhf '));

/** Split a command line as sh does for plain words and double-quoted strings. */
const words = (line: string): string[] =>
  [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1); // drop the leading `rlhf`

let cwd: string;
const run = async (argv: string[]) => {
  const r = recordingIo({ cwd });
  const code = await main(argv, r.io);
  return { code, out: r.out(), err: r.err() };
};

beforeAll(() => {
  cwd = tempDir('rlhf-readme-');
  cpSync(join(root, 'examples', 'cli'), join(cwd, 'examples', 'cli'), { recursive: true });
});

describe("the README's CLI examples", () => {
  it('lists every command with a working example', () => {
    const commands = lines.map((l) => words(l)[0]);
    for (const c of ['pretrain', 'sft', 'train-rm', 'ppo', 'generate', 'export', 'eval', 'compare']) {
      expect(commands, c).toContain(c);
    }
  });

  it('run in order, each exiting 0 with its outputs written', async () => {
    for (const line of lines) {
      const r = await run(words(line));
      expect(r.code, `${line}\n${r.err}`).toBe(0);
    }
    const at = (p: string) => join(cwd, p);
    expect(existsSync(at('runs/pre/model/model.safetensors'))).toBe(true);
    expect(existsSync(at('runs/sft/model/model.safetensors'))).toBe(true);
    expect(existsSync(at('runs/rm/model/config.json'))).toBe(true);
    expect(jsonLines(at('runs/rm/eval.jsonl')).at(-1)).toHaveProperty('eval_accuracy');
    // The resumed run continued the first one's 4 iterations to 6.
    expect(jsonLines(at('runs/ppo/metrics.jsonl')).map((m) => m['step'])).toEqual([1, 2, 3, 4, 5, 6]);
    const grpo = jsonLines(at('runs/grpo/metrics.jsonl'));
    expect(grpo[0]).toHaveProperty('rewards/cheerful/mean');
    expect(grpo[0]).toHaveProperty('rewards/mentionsKeyword/std');
    const completions = jsonLines(at('runs/completions.jsonl'));
    expect(completions).toHaveLength(2 * jsonLines(at('examples/cli/prompts.jsonl')).length);
    expect(completions[0]).toMatchObject({ prompt: 'The sea was', keyword: 'sea' });
    expect(existsSync(at('runs/ppo-onnx/onnx/model.onnx'))).toBe(true);
    for (const dir of ['pre', 'sft', 'rm', 'ppo', 'grpo']) {
      expect(JSON.parse(readFileSync(at(`runs/${dir}/run.json`), 'utf8')).status, dir).toBe('done');
      expect(existsSync(at(`runs/${dir}/run.lock`)), dir).toBe(false);
    }
  });

  it('refuse an --out that holds a run without --resume, and a directory another job holds, with exit 2', async () => {
    const again = await run(words(lines.find((l) => l.startsWith('rlhf sft '))!));
    expect(again.code).toBe(2);
    expect(again.err).toContain(
      `${join(cwd, 'runs/sft')} already holds a sft run (status done). Pass --resume to continue it, or give another --out`,
    );
    const lock = { pid: process.pid, host: hostname(), kind: 'ppo', startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(cwd, 'runs/ppo/run.lock'), JSON.stringify(lock));
    const locked = await run([...words(lines.find((l) => l.includes('--resume'))!)]);
    expect(locked.code).toBe(2);
    expect(locked.err).toContain(`is in use by another job (rlhf ppo, pid ${process.pid} on ${hostname()}`);
    expect(JSON.parse(readFileSync(join(cwd, 'runs/ppo/run.json'), 'utf8')).status).toBe('done');
  });
});
