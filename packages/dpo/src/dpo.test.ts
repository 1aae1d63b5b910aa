import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSwitch } from '@rlhfkit/io';
import { CausalLM, gptConfig, initParams, readSafetensors, Tokenizer } from '@rlhfkit/model';
import type { PreferenceRecord } from '@rlhfkit/reward-model';
import { describe, expect, it } from 'vitest';
import { type DPOConfigInput, type DPOLossType, dpoConfig } from './config.js';
import { runDPO } from './dpo.js';

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
const policy = () => new CausalLM(config, initParams(config, 5), {}, {}, tok);

// The preference to learn: completions about the sea and the sun beat completions about the fog.
const good = [' we see the sea', ' the sun and the sea', ' see the sun', ' the sea and the sun'];
const bad = [' a dog ran in the fog', ' ran in the fog', ' the fog', ' in the fog the dog ran'];
const prompts = ['the cat', 'a dog', 'we see', 'the sun', 'on the', 'ran in', 'the mat', 'sat on'];
const pairs = (ps: string[], shift: number): PreferenceRecord[] =>
  ps.flatMap((prompt, i) =>
    [0, 1].map((k) => ({
      prompt,
      chosen: good[(i + k + shift) % 4]!,
      rejected: bad[(i + 2 * k + shift) % 4]!,
      margin: 0,
      line: 2 * i + k + 1,
    })),
  );
const train = pairs(prompts, 0); // 16 pairs
const held = pairs(['the sea', 'a cat', 'we ran', 'the dog'], 1); // 8 pairs

const base: Partial<DPOConfigInput> = { lr: 3e-3, epochs: 4, batchSize: 4, checkpointEvery: 0 };
const avg = (h: Record<string, number>[], k: string, from: number, to: number) =>
  h.slice(from, to).reduce((s, m) => s + m[k]!, 0) / (to - from);

describe('runDPO on a tiny model', () => {
  const cases: [DPOLossType, Partial<DPOConfigInput>][] = [
    ['sigmoid', {}],
    ['robust', { labelSmoothing: 0.1 }],
    ['hinge', {}],
    ['ipo', { beta: 0.5 }],
    ['simpo', { beta: 2, gamma: 0.5 }],
  ];
  for (const [lossType, extra] of cases) {
    it(`raises rewards/margins and rewards/accuracies with ${lossType}, on training and held-out pairs`, async () => {
      const res = await runDPO({
        config: dpoConfig({ ...base, ...extra, lossType }),
        policy: policy(),
        data: train,
        evalData: held,
      });
      const h = res.history;
      expect(h).toHaveLength(16);
      // The first step's rewards are 0 (policy = reference); float noise alone keeps margins under 1e-5.
      expect(avg(h, 'rewards/margins', 12, 16)).toBeGreaterThan(avg(h, 'rewards/margins', 0, 4) + 0.3);
      expect(avg(h, 'rewards/accuracies', 12, 16)).toBeGreaterThanOrEqual(0.9);
      expect(res.eval!['eval_rewards/accuracies']).toBeGreaterThanOrEqual(0.75);
      expect(res.eval!['eval_rewards/margins']).toBeGreaterThan(0.3);
      expect(h.at(-1)!['loss']).toBeLessThan(h[0]!['loss']!);
      for (const m of h) for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    });
  }

  it('raises desirable rewards above undesirable ones with kto on the pairs, unpaired', async () => {
    const res = await runDPO({
      config: dpoConfig({ ...base, lossType: 'kto', beta: 0.5 }),
      policy: policy(),
      data: train,
      evalData: held,
    });
    const h = res.history;
    expect(h).toHaveLength(32); // 32 unpaired rows, batches of 4, 4 epochs
    expect(avg(h, 'rewards/margins', 24, 32)).toBeGreaterThan(avg(h, 'rewards/margins', 0, 8) + 1);
    expect(res.eval!['eval_rewards/margins']).toBeGreaterThan(1);
    expect(Number.isFinite(h.at(-1)!['kl']!)).toBe(true);
  });

  it('computes the reference log-probs once per dataset, not per epoch, and keeps them in the run directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpo-ref-'));
    const reference = policy();
    let runs = 0;
    const feeds = reference.paramFeeds.bind(reference);
    reference.paramFeeds = (prefix?: string) => {
      runs++;
      return feeds(prefix);
    };
    await runDPO({
      config: dpoConfig({ ...base, epochs: 3 }),
      policy: policy(),
      reference,
      data: train,
      runDir: dir,
    });
    expect(runs).toBe(4); // 2 × 16 sequences in runs of 2 × batchSize = 8
    const f = await readSafetensors(join(dir, 'reference-logps.safetensors'));
    expect(f.tensors.get('train')!.data).toHaveLength(32);
    expect(existsSync(join(dir, 'policy', 'model.safetensors'))).toBe(true);
  });

  it('resumes a stopped run so that its metrics equal an uninterrupted run', async () => {
    const cfg = dpoConfig({ ...base, epochs: 2, checkpointEvery: 2 });
    const full = await runDPO({ config: cfg, policy: policy(), data: train, evalData: held });
    const dir = mkdtempSync(join(tmpdir(), 'dpo-resume-'));
    const control = new JobSwitch();
    const a = await runDPO({
      config: cfg,
      policy: policy(),
      data: train,
      evalData: held,
      runDir: dir,
      control,
      sink: (e) => {
        if (e.type === 'progress' && e.step === 3) control.stop();
      },
    });
    expect(a.stopped).toBe(true);
    const b = await runDPO({ config: cfg, policy: policy(), data: train, evalData: held, runDir: dir });
    const strip = (m: Record<string, number>) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/')));
    expect([...a.history, ...b.history].map(strip)).toEqual(full.history.map(strip));
    expect(b.eval).toEqual(full.eval);
  });

  it('rejects data the loss cannot use and batches larger than the data', async () => {
    const unpaired = [{ prompt: 'the cat', completion: ' sat', label: true, line: 1 }];
    await expect(runDPO({ config: dpoConfig(base), policy: policy(), data: unpaired })).rejects.toThrow(
      /unpaired rows \(prompt, completion, label\) train with lossType kto/,
    );
    await expect(
      runDPO({ config: dpoConfig({ ...base, batchSize: 32 }), policy: policy(), data: train }),
    ).rejects.toThrow(/16 training pairs, fewer than batchSize 32/);
    await expect(
      runDPO({ config: dpoConfig({ ...base, maxLength: 64 }), policy: policy(), data: train }),
    ).rejects.toThrow(/maxLength 64 exceeds the model's context 32/);
  });
});

describe('dpoConfig', () => {
  it('resolves averageLogProb per loss type and rejects settings that cannot apply', () => {
    expect(dpoConfig({ lossType: 'simpo' }).averageLogProb).toBe(true);
    expect(dpoConfig({ lossType: 'sigmoid' }).averageLogProb).toBe(false);
    expect(() => dpoConfig({ lossType: 'hinge', labelSmoothing: 0.1 })).toThrow(
      /labelSmoothing applies to sigmoid, robust and simpo, not hinge/,
    );
    expect(() => dpoConfig({ gamma: 1 })).toThrow(/gamma is SimPO's margin: set lossType simpo/);
    expect(() => dpoConfig({ desirableWeight: 2 })).toThrow(/set lossType kto or drop them/);
    expect(() => dpoConfig({ labelSmoothing: 0.5 })).toThrow(/labelSmoothing/);
    expect(() => dpoConfig({ batchSize: 0 } as never)).toThrow(/batchSize/);
  });
});
