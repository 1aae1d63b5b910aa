import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSwitch } from '@rlhfkit/io';
import { CausalLM, gptConfig, initParams, Tokenizer } from '@rlhfkit/model';
import { describe, expect, it } from 'vitest';
import { type PPOConfig, ppoConfig } from './config.js';
import { runPPO } from './ppo.js';
import { ruleScorer } from './scorer.js';

const text = 'the cat sat on the mat. a dog ran in the fog. we see the sea and the sun. '.repeat(30);
const tok = Tokenizer.train(text, { vocabSize: 300 });
const config = gptConfig({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  vocabSize: tok.vocabSize,
  nPositions: 32,
  bosTokenId: tok.bosTokenId,
  eosTokenId: tok.eosTokenId,
});
const prompts = ['the cat', 'a dog', 'we see', 'the sun', 'on the', 'ran in'];
/** Toy reward: the number of letters 'a' in the completion (about 0.3 at the start, 8 at most here). */
const scorer = ruleScorer((_p, c) => [...c].filter((ch) => ch === 'a').length);

const policy = () => new CausalLM(config, initParams(config, 5), {}, {}, tok);
const base: Partial<PPOConfig> = {
  iterations: 16,
  promptsPerIteration: 4,
  groupSize: 4,
  minibatchSize: 8,
  ppoEpochs: 4,
  maxNewTokens: 8,
  lr: 1e-2,
  klCoef: 0.2,
  checkpointEvery: 0,
};

const first = (h: Record<string, number>[], k: string, n = 3) =>
  h.slice(0, n).reduce((s, m) => s + m[k]!, 0) / n;
const last = (h: Record<string, number>[], k: string, n = 3) =>
  h.slice(-n).reduce((s, m) => s + m[k]!, 0) / n;

describe('runPPO on a toy task', () => {
  for (const algorithm of ['ppo', 'rloo', 'grpo'] as const) {
    it(`raises the mean score by ≥ 2 in 16 iterations with ${algorithm} while KL to the reference stays under 25 nats`, async () => {
      const res = await runPPO({
        config: ppoConfig({ ...base, algorithm }),
        policy: policy(),
        scorer,
        prompts,
      });
      const h = res.history;
      expect(h).toHaveLength(16);
      expect(last(h, 'objective/scores') - first(h, 'objective/scores')).toBeGreaterThan(2);
      for (const m of h) expect(m['objective/kl']!).toBeLessThan(25);
      for (const m of h) expect(Number.isFinite(m['loss/policy_avg']!)).toBe(true);
    });
  }

  it('stays closer to the reference with a larger KL coefficient', async () => {
    const loose = await runPPO({
      config: ppoConfig({ ...base, klCoef: 0.05 }),
      policy: policy(),
      scorer,
      prompts,
    });
    const tight = await runPPO({
      config: ppoConfig({ ...base, klCoef: 1 }),
      policy: policy(),
      scorer,
      prompts,
    });
    expect(last(tight.history, 'objective/kl')).toBeLessThan(0.5 * last(loose.history, 'objective/kl'));
  });

  it('resumes a stopped run so that its metrics equal an uninterrupted run', async () => {
    const cfg = ppoConfig({ ...base, iterations: 6, algorithm: 'ppo', checkpointEvery: 2 });
    const full = await runPPO({ config: cfg, policy: policy(), scorer, prompts });
    const dir = mkdtempSync(join(tmpdir(), 'ppo-resume-'));
    const control = new JobSwitch();
    const a = await runPPO({
      config: cfg,
      policy: policy(),
      scorer,
      prompts,
      runDir: dir,
      control,
      sink: (e) => {
        if (e.type === 'progress' && e.step === 3) control.stop();
      },
    });
    expect(a.stopped).toBe(true);
    expect(a.history).toHaveLength(3);
    const b = await runPPO({ config: cfg, policy: policy(), scorer, prompts, runDir: dir });
    const strip = (m: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(m).filter(([k]) => !k.startsWith('timing/') && !k.startsWith('perf/')),
      );
    expect([...a.history, ...b.history].map(strip)).toEqual(full.history.map(strip));
  });
});
