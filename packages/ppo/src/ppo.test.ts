import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSwitch } from '@rlhfkit/io';
import { CausalLM, initParams, loadCausalLM, modelConfig } from '@rlhfkit/model';
import { describe, expect, it } from 'vitest';
import { base, first, last, policy, prompts, scorer, tok } from '../test/toy.js';
import { ppoConfig } from './config.js';
import { runPPO } from './ppo.js';

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

describe('runPPO on a tiny Qwen3 policy (GQA, q/k norms, untied head)', () => {
  const qwen = modelConfig({
    family: 'qwen3',
    nLayer: 2,
    nHead: 4,
    nKVHead: 2,
    headDim: 8,
    nEmbd: 32,
    nInner: 64,
    vocabSize: tok.vocabSize,
    nPositions: 32,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
    tieWordEmbeddings: false,
  });
  // PPO (with its value head) and GRPO learn in 10 iterations; REINFORCE (one epoch a rollout) is only run.
  for (const [algorithm, iterations, rise] of [
    ['ppo', 10, 1],
    ['grpo', 10, 1],
    ['reinforce', 3, Number.NEGATIVE_INFINITY],
  ] as const) {
    it(`runs ${algorithm} and saves a Qwen3ForCausalLM`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `ppo-qwen3-${algorithm}-`));
      const res = await runPPO({
        config: ppoConfig({ ...base, algorithm, iterations }),
        policy: new CausalLM(qwen, initParams(qwen, 5), {}, {}, tok),
        scorer,
        prompts,
        runDir: dir,
      });
      const h = res.history;
      expect(last(h, 'objective/scores') - first(h, 'objective/scores')).toBeGreaterThan(rise);
      for (const m of h) expect(Number.isFinite(m['loss/policy_avg']!)).toBe(true);
      const saved = await loadCausalLM(join(dir, 'policy'));
      expect(saved.config).toMatchObject({ family: 'qwen3', qkNorm: true, tieWordEmbeddings: false });
      expect(JSON.parse(readFileSync(join(dir, 'policy', 'config.json'), 'utf8')).architectures).toEqual([
        'Qwen3ForCausalLM',
      ]);
    });
  }
});
