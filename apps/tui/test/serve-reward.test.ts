// `rlhf serve-reward`: the README's example run as written (its port swapped for a free one): the server starts,
// answers the documented request with the documented rewards, and stops on SIGINT with exit 0. Then the
// mistakes that exit 2: no scorer or two, a bad module, a directory that is not a reward model, a port in use.
import { cpSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { recordingIo, tempDir } from './helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = readme.slice(
  readme.indexOf('<!-- serve-reward-example:begin -->'),
  readme.indexOf('<!-- serve-reward-example:end -->'),
);
const line = (start: string) => block.split('\n').find((l) => l.startsWith(start)) ?? '';

let cwd: string;
beforeAll(() => {
  cwd = tempDir('rlhf-serve-');
  cpSync(join(root, 'examples', 'cli'), join(cwd, 'examples', 'cli'), { recursive: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

const serve = async (...argv: string[]) => {
  const r = recordingIo({ cwd });
  return { code: await main(['serve-reward', ...argv], r.io), err: r.err() };
};

describe("the README's serve-reward example", () => {
  it('starts, answers the documented request with the documented rewards, and stops on SIGINT (exit 0)', async () => {
    const port = await freePort();
    const argv = line('rlhf serve-reward')
      .replace(/ &$/, '')
      .split(' ')
      .slice(2)
      .map((w) => (w === '5000' ? String(port) : w));
    expect(argv).toContain('--reward-fn');
    const r = recordingIo({ cwd });
    const code = main(['serve-reward', ...argv], r.io);
    await until(() => r.err().includes('serving '));
    expect(process.listenerCount('SIGINT')).toBe(1); // the server's own, and no other

    const curl = line('curl ');
    const body = /-d '(.*)'$/.exec(curl)?.[1] ?? '';
    const url = /(http:\S+)/.exec(curl)?.[1]?.replace(':5000', `:${port}`) ?? '';
    const res = await fetch(url, { method: 'POST', body });
    expect(res.status).toBe(200);
    const documented = line('# {').slice(2);
    expect(await res.text()).toBe(documented);

    process.emit('SIGINT');
    expect(await code).toBe(0);
    expect(r.err()).toMatch(/SIGINT: stopping.*\nstopped: 1 answered/);
    expect(process.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(url, { method: 'POST', body })).rejects.toThrow();
  });
});

describe('rlhf serve-reward refuses, exit 2', () => {
  it('no scorer, or both', async () => {
    const none = await serve('--port', '0');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/give exactly one of --reward-model DIR and --reward-fn FILE\.mjs/);
    const both = await serve('--reward-model', 'x', '--reward-fn', 'y.mjs');
    expect(both.code).toBe(2);
  });

  it('a missing module or export, and a directory that is not a reward model', async () => {
    const missing = await serve('--reward-fn', 'examples/cli/nope.mjs', '--port', '0');
    expect([missing.code, missing.err]).toEqual([
      2,
      expect.stringMatching(/reward function examples\/cli\/nope\.mjs: no such file/),
    ]);
    const noExport = await serve('--reward-fn', 'examples/cli/rewards.mjs:nope', '--port', '0');
    expect(noExport.err).toMatch(/has no export 'nope' \(its function exports: cheerful, mentionsKeyword\)/);
    const notRm = await serve('--reward-model', 'examples/cli', '--port', '0');
    expect([notRm.code, notRm.err]).toEqual([
      2,
      expect.stringMatching(/--reward-model examples\/cli: no config\.json/),
    ]);
  });

  it('a port in use', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as { port: number };
    const r = await serve('--reward-fn', 'examples/cli/rewards.mjs:cheerful', '--port', String(port));
    taken.close();
    expect([r.code, r.err]).toEqual([
      2,
      expect.stringContaining(`127.0.0.1:${port} is in use; pick another port`),
    ]);
  });
});
