import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { callRewardFn, loadRewardFn, parseRewardFnSpec, RewardFnError } from './reward-fn.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const load = (spec: string) => loadRewardFn(spec, fixtures);
const sample = (completion: string, label?: string) => ({
  prompt: 'Q: x\nA:',
  completion,
  row: label === undefined ? {} : { label },
});

describe('reward function specs', () => {
  it('splits FILE:export and defaults to the default export', () => {
    expect(parseRewardFnSpec('r.mjs:exactMatch')).toEqual({ file: 'r.mjs', exportName: 'exactMatch' });
    expect(parseRewardFnSpec('dir/r.mjs')).toEqual({ file: 'dir/r.mjs', exportName: 'default' });
    expect(parseRewardFnSpec('C:\\r\\f.mjs')).toEqual({ file: 'C:\\r\\f.mjs', exportName: 'default' });
    expect(() => parseRewardFnSpec('')).toThrow(RewardFnError);
  });

  it('loads the default export (named after the file) and a named one', async () => {
    const d = await load('reward-fns.mjs');
    expect([d.name, d.source]).toEqual(['reward-fns', 'reward-fns.mjs:default']);
    expect(await d.fn('p', ' good', { label: 'good' })).toBeCloseTo(0.5 + 1);
    const w = await load('reward-fns.mjs:wordCount');
    expect(w.name).toBe('wordCount');
    expect(await callRewardFn(w, [sample(' a b c'), sample('')], 1000)).toEqual([3, 0]);
  });

  it('says what is wrong with a missing file, a broken module, a missing export or a non-function', async () => {
    await expect(load('nope.mjs')).rejects.toThrow(/reward function nope\.mjs: no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'rfn-'));
    writeFileSync(join(dir, 'broken.mjs'), 'export default (p, c) => {\n');
    await expect(loadRewardFn('broken.mjs', dir)).rejects.toThrow(/broken\.mjs failed to load: .*ES module/s);
    const noDefault = load('named-only.mjs');
    await expect(noDefault).rejects.toThrow(RewardFnError);
    await expect(noDefault).rejects.toThrow(
      /named-only\.mjs has no export 'default' \(its function exports: exactMatch\); pick one with named-only\.mjs:NAME/,
    );
    await expect(load('reward-fns.mjs:notAFunction')).rejects.toThrow(/'notAFunction' is not a function/);
  });
});

describe('calling a reward function', () => {
  it('names the function and sample when it throws, returns a non-number or hangs', async () => {
    const t = await load('reward-fns.mjs:throws');
    await expect(callRewardFn(t, [sample('ok'), sample('boom')], 1000)).rejects.toThrow(
      'reward function reward-fns.mjs:throws threw on sample 1: cannot score boom',
    );
    const n = await load('reward-fns.mjs:notANumber');
    await expect(callRewardFn(n, [sample('x')], 1000)).rejects.toThrow(
      /returned a string \(high\) on sample 0/,
    );
    const inf = await load('reward-fns.mjs:infinite');
    await expect(callRewardFn(inf, [sample('x')])).rejects.toThrow(
      /returned Infinity on sample 0; it must return a finite number/,
    );
    const h = await load('reward-fns.mjs:hangs');
    await expect(callRewardFn(h, [sample('x')], 50)).rejects.toThrow(
      /did not return within 50 ms on sample 0/,
    );
  });
});
