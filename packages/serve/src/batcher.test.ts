import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

/** A scorer that records each run's items and scores an item x as 10·x. */
function recorder(delayMs = 0) {
  const runs: number[][] = [];
  const run = async (items: readonly number[]) => {
    runs.push([...items]);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return items.map((x) => 10 * x);
  };
  return { runs, run };
}

describe('Batcher', () => {
  it('scores requests that arrive within the window in one run, each getting its own scores in order', async () => {
    const { runs, run } = recorder();
    const b = new Batcher(run, { maxBatch: 64, windowMs: 20 });
    const results = await Promise.all([
      b.submit([1, 2]).result,
      b.submit([3]).result,
      b.submit([4, 5, 6]).result,
    ]);
    expect(results).toEqual([[10, 20], [30], [40, 50, 60]]);
    expect(runs).toEqual([[1, 2, 3, 4, 5, 6]]);
  });

  it('starts a run as soon as maxBatch items wait, takes whole requests, and runs a large one alone', async () => {
    const { runs, run } = recorder();
    const b = new Batcher(run, { maxBatch: 4, windowMs: 10_000 });
    const jobs = [b.submit([1, 2]), b.submit([3, 4]), b.submit([5, 6, 7, 8, 9]), b.submit([10])];
    const t0 = Date.now();
    await Promise.all(jobs.slice(0, 3).map((j) => j.result));
    expect(Date.now() - t0).toBeLessThan(5_000); // no window wait
    expect(runs.slice(0, 2)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    b.flushNow();
    expect(await jobs[3]!.result).toEqual([100]);
  });

  it('queues requests during a run and scores them together in the next one', async () => {
    const { runs, run } = recorder(30);
    const b = new Batcher(run, { maxBatch: 64, windowMs: 0 });
    const first = b.submit([1]).result;
    await new Promise((r) => setTimeout(r, 10)); // the first run is going
    const later = [b.submit([2]).result, b.submit([3]).result];
    await Promise.all([first, ...later]);
    expect(runs).toEqual([[1], [2, 3]]);
  });

  it('fails only the requests of a run that throws', async () => {
    let calls = 0;
    const b = new Batcher(
      async (items: readonly number[]) => {
        if (calls++ === 0) throw new Error('scorer broke');
        return items.map(() => 1);
      },
      { maxBatch: 2, windowMs: 0 },
    );
    const [a, c] = [b.submit([1, 2]), b.submit([3])];
    await expect(a.result).rejects.toThrow('scorer broke');
    expect(await c.result).toEqual([1]);
  });

  it('fails a run whose scorer returns the wrong number of scores', async () => {
    const b = new Batcher(async () => [1], { maxBatch: 8, windowMs: 0 });
    await expect(b.submit([1, 2]).result).rejects.toThrow('the scorer returned 1 scores for 2 items');
  });

  it('drops a cancelled request before its run', async () => {
    const { runs, run } = recorder();
    const b = new Batcher(run, { maxBatch: 64, windowMs: 20 });
    const gone = b.submit([1]);
    const kept = b.submit([2]);
    gone.cancel();
    expect(b.queuedItems).toBe(1);
    expect(await kept.result).toEqual([20]);
    expect(runs).toEqual([[2]]);
  });
});
