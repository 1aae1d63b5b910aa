// `rlhf ppo --reward-fn`: rewards from code, end to end through the CLI on a tiny model.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { jsonLines, recordingIo, tempDir, tinyModelDir } from './helpers.js';

const rewards = fileURLToPath(new URL('./fixtures/rewards.mjs', import.meta.url));
let dir: string;
let policy: string;
let prompts: string;

beforeAll(async () => {
  dir = tempDir();
  policy = await tinyModelDir(join(dir, 'policy'));
  prompts = join(dir, 'prompts.jsonl');
  const rows = ['the cat', 'a dog', 'we see', 'the sun', 'on the', 'ran in'].map((prompt) => ({
    prompt,
    answer: 'a',
  }));
  writeFileSync(prompts, rows.map((r) => JSON.stringify(r)).join('\n'));
});

const ppo = (out: string, ...more: string[]) => [
  'ppo',
  '--policy',
  policy,
  '--prompts',
  prompts,
  '--out',
  join(dir, out),
  ...more,
];

describe('rlhf ppo --reward-fn', () => {
  it('raises a rule reward with GRPO, logging each reward as rewards/<name>/mean and /std', async () => {
    const r = recordingIo();
    const argv = ppo(
      'grpo',
      '--json',
      ...['--algorithm', 'grpo', '--iterations', '16', '--prompts-per-iteration', '4', '--group-size', '4'],
      ...['--minibatch-size', '8', '--max-new-tokens', '8', '--lr', '0.01', '--kl-coef', '0.2'],
      ...[
        '--reward-fn',
        `${rewards}:countA`,
        '--reward-fn',
        `${rewards}:hasAnswer`,
        '--reward-weights',
        '1,0',
      ],
    );
    expect(await main(argv, r.io), r.err()).toBe(0);
    const metrics = jsonLines(join(dir, 'grpo', 'metrics.jsonl'));
    expect(metrics).toHaveLength(16);
    const mean = (rows: Record<string, unknown>[]) =>
      rows.reduce((s, m) => s + (m['rewards/countA/mean'] as number), 0) / rows.length;
    expect(mean(metrics.slice(-3)) - mean(metrics.slice(0, 3))).toBeGreaterThan(2);
    for (const m of metrics) {
      expect(m['rewards/countA/std']).toBeGreaterThanOrEqual(0);
      // hasAnswer weighs 0: the score is countA alone, and the answer column reached the function.
      expect(m['objective/scores']).toBeCloseTo(m['rewards/countA/mean'] as number, 9);
      expect(m['rewards/hasAnswer/mean']).toBeGreaterThanOrEqual(0);
    }
    expect(metrics.some((m) => (m['rewards/hasAnswer/mean'] as number) > 0)).toBe(true);
  });

  for (const [name, message] of [
    ['throws', `reward function ${rewards}:throws threw on sample 0: no score for you`],
    ['notANumber', `reward function ${rewards}:notANumber returned a string (high) on sample 0`],
    ['hangs', `reward function ${rewards}:hangs did not return within 200 ms on sample 0`],
  ] as const) {
    it(`stops the job naming a function that ${name === 'hangs' ? 'hangs' : name === 'throws' ? 'throws' : 'returns a non-number'}`, async () => {
      const r = recordingIo();
      const argv = ppo(
        `bad-${name}`,
        '--iterations',
        '1',
        '--reward-fn',
        `${rewards}:${name}`,
        '--reward-fn-timeout',
        '0.2',
      );
      expect(await main(argv, r.io)).toBe(1);
      expect(r.err()).toContain(message);
    });
  }

  it('refuses a module without the named export before any work, exit 2', async () => {
    const r = recordingIo();
    expect(await main(ppo('missing', '--reward-fn', `${rewards}:nope`), r.io)).toBe(2);
    expect(r.err()).toContain(
      "has no export 'nope' (its function exports: countA, hasAnswer, throws, notANumber, hangs)",
    );
  });
});
