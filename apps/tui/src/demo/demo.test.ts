import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobEvent } from '@rlhfkit/io';
import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('rlhf demo --preset ci', () => {
  it('runs every stage offline and raises the gold score, with a bounded KL', async () => {
    const out = mkdtempSync(join(tmpdir(), 'demo-ci-'));
    const events: JobEvent[] = [];
    const summary = await runDemo({ preset: 'ci', out, seed: 0 }, (e) => events.push(e));
    const { samples_before: _b, samples_after: _a, ...numbers } = summary;
    const s = summary as {
      status: string;
      gold_score_before: number;
      gold_score_after: number;
      rm_score_before: number;
      rm_score_after: number;
      kl_to_reference: number;
      seconds_per_stage: object;
    };
    console.log(JSON.stringify(numbers));
    expect(s.status).toBe('done');
    expect(s.gold_score_after).toBeGreaterThan(s.gold_score_before);
    expect(s.rm_score_after).toBeGreaterThan(s.rm_score_before);
    expect(s.kl_to_reference).toBeLessThan(30);
    expect(Object.keys(s.seconds_per_stage)).toEqual([
      'tokenizer',
      'pretrain',
      'pairs',
      'reward-model',
      'ppo',
      'evaluate',
    ]);
    expect(events.filter((e) => e.type === 'stage')).toHaveLength(6);
  }, 900_000);
});
