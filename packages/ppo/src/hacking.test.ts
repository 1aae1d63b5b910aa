import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hackingFlags } from './hacking.js';

// Measured histories of the sentiment demo's PPO (scripts/hacking-calibration.mjs): its own settings, which
// learn the "like, good, great" hack, and honest runs (strong KL, few iterations, low lr).
const measured = JSON.parse(
  readFileSync(new URL('../test/fixtures/hacking-histories.json', import.meta.url), 'utf8'),
) as { runs: Record<string, { history: Record<string, number>[] }> };

/** A synthetic history: per-iteration metrics from linear ramps between start and end values. */
function ramp(n: number, from: Record<string, number>, to: Record<string, number>): Record<string, number>[] {
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(Object.keys(from).map((k) => [k, from[k]! + ((to[k]! - from[k]!) * i) / (n - 1)])),
  );
}
const start = {
  'objective/scores': 0,
  'completions/distinct_2': 0.8,
  'objective/kl_per_token': 0.01,
  'rm/out_of_range_frac': 0,
  'completions/mean_length': 15,
  'completions/clipped_ratio': 0.5,
};

describe('hackingFlags on the sentiment demo', () => {
  it('fires on the known hack from iteration 21 on, with both PPO seeds', () => {
    for (const name of ['hack/seed-0', 'hack/seed-1']) {
      const flags = hackingFlags(measured.runs[name]!.history);
      expect(flags[0]?.step, name).toBe(21);
      expect(flags.length, name).toBeGreaterThanOrEqual(9); // of the 10 iterations 21-30
      expect(flags.at(-1)!.step, name).toBe(30);
      expect(flags[0]!.reasons.join('; ')).toMatch(/reward up .*KL .* nats per token/);
    }
  });

  it('stays quiet on the honest runs', () => {
    const honest = Object.keys(measured.runs).filter((n) => !n.startsWith('hack/'));
    expect(honest).toHaveLength(5);
    for (const name of honest) expect(hackingFlags(measured.runs[name]!.history), name).toEqual([]);
  });
});

describe('hackingFlags', () => {
  it('flags the iterations where the reward climbs while repetition, KL and out-of-range scores drift', () => {
    const h = ramp(20, start, {
      ...start,
      'objective/scores': 4,
      'completions/distinct_2': 0.2,
      'objective/kl_per_token': 0.6,
      'rm/out_of_range_frac': 0.9,
    });
    const flags = hackingFlags(h);
    expect(flags.length).toBeGreaterThan(5);
    expect(flags.at(-1)!.step).toBe(20);
    expect(flags.at(-1)!.reasons.join('; ')).toMatch(
      /reward up .*repetition: distinct-2 .*KL .* nats per token/,
    );
    // Flags start once the drift is past its thresholds, not at once.
    expect(flags[0]!.step).toBeGreaterThan(6);
  });

  it('stays quiet when the reward climbs but the completions keep their character', () => {
    expect(hackingFlags(ramp(20, start, { ...start, 'objective/scores': 4 }))).toEqual([]);
  });

  it('stays quiet when the completions drift but the reward does not climb', () => {
    const h = ramp(20, start, { ...start, 'completions/distinct_2': 0.2, 'objective/kl_per_token': 0.6 });
    expect(hackingFlags(h)).toEqual([]);
  });

  it('needs minSignals signals, and skips signals a run did not log', () => {
    const h = ramp(20, start, { ...start, 'objective/scores': 4, 'completions/distinct_2': 0.2 });
    expect(hackingFlags(h)).toEqual([]);
    expect(hackingFlags(h, { minSignals: 1 }).length).toBeGreaterThan(0);
    const noRange = h.map(({ 'rm/out_of_range_frac': _, ...m }) => ({ ...m, 'objective/kl_per_token': 0.6 }));
    expect(hackingFlags(noRange).length).toBeGreaterThan(0);
  });
});
