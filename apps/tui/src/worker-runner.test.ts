import type { JobControl } from '@rlhfkit/io';
import { describe, expect, it, vi } from 'vitest';
import type { JobRunner } from './jobs/specs.js';
import { lazyRunner } from './worker-runner.js';

describe('lazyRunner', () => {
  it('loads the runner when the job starts and replays controls sent while it loaded', async () => {
    const control: JobControl = { pause: vi.fn(), resume: vi.fn(), saveNow: vi.fn(), stop: vi.fn() };
    const runner: JobRunner = vi.fn(() => ({ control, done: Promise.resolve({ ok: 1 }) }));
    const load = vi.fn(async () => runner);
    const lazy = lazyRunner(load);
    expect(load).not.toHaveBeenCalled();
    const sink = vi.fn();
    const started = lazy({ steps: 3 }, sink);
    started.control.pause();
    started.control.stop();
    expect(await started.done).toEqual({ ok: 1 });
    expect(runner).toHaveBeenCalledWith({ steps: 3 }, sink);
    expect(control.pause).toHaveBeenCalledTimes(1);
    expect(control.stop).toHaveBeenCalledTimes(1);
    started.control.saveNow();
    expect(control.saveNow).toHaveBeenCalledTimes(1);
  });

  it('fails the job when its module cannot be loaded', async () => {
    const lazy = lazyRunner(() => Promise.reject(new Error('no engine')));
    await expect(lazy({}, () => {}).done).rejects.toThrow('no engine');
  });
});
