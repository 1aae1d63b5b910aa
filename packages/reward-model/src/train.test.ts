import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, valueAndGrad } from '@rlhfkit/engine';
import { JobSwitch } from '@rlhfkit/io';
import { CausalLM, gptConfig, initParams, modelConfig, readSafetensors, Tokenizer } from '@rlhfkit/model';
import { describe, expect, it } from 'vitest';
import { rewardTrainDefaults } from './config.js';
import type { PreferenceRecord } from './data.js';
import { bradleyTerryLoss } from './loss.js';
import { RewardModel } from './model.js';
import { preferenceMetrics, trainRewardModel } from './train.js';

const good = ['good', 'great', 'happy', 'bright', 'kind', 'warm'];
const other = ['the', 'a', 'ship', 'sea', 'man', 'went', 'to', 'of', 'and', 'old', 'whale', 'day'];

/** Synthetic preference rule: the text with more words from `good` is preferred. */
function makePairs(n: number, seed: number): PreferenceRecord[] {
  const rng = new Rng(seed);
  const text = (k: number) => {
    const words = Array.from({ length: 10 }, () => other[rng.int(other.length)]!);
    for (let i = 0; i < k; i++) words[rng.int(10)] = good[rng.int(good.length)]!;
    return ` ${words.join(' ')}`;
  };
  return Array.from({ length: n }, (_, line) => {
    const a = rng.int(4);
    const b = a + 1 + rng.int(3);
    return { prompt: 'Say:', chosen: text(b), rejected: text(a), margin: 0, line: line + 1 };
  });
}

describe('reward model training', () => {
  it('learns a synthetic preference rule to held-out accuracy ≥ 0.9', async () => {
    const train = makePairs(384, 1);
    const heldOut = makePairs(128, 2);
    const tok = Tokenizer.train([...good, ...other, 'Say:'].join(' ').repeat(20), { vocabSize: 300 });
    const config = gptConfig({
      nLayer: 2,
      nHead: 2,
      nEmbd: 32,
      vocabSize: tok.vocabSize,
      nPositions: 32,
      bosTokenId: tok.bosTokenId,
      eosTokenId: tok.eosTokenId,
    });
    const base = new CausalLM(config, initParams(config, 3), {}, {}, tok);
    const dir = mkdtempSync(join(tmpdir(), 'rm-'));
    const res = await trainRewardModel(
      base,
      train,
      { ...rewardTrainDefaults, epochs: 4, batchSize: 16, maxLength: 32, lr: 3e-3 },
      { evalRecords: heldOut, runDir: dir },
    );
    expect(res.eval!.accuracy).toBeGreaterThanOrEqual(0.9);
    // The saved model scores the same as the trained one.
    const loaded = await RewardModel.load(join(dir, 'model'));
    const items = heldOut.slice(0, 5).map((r) => ({ prompt: r.prompt, completion: r.chosen }));
    const a = await res.rm.score(items);
    const b = await loaded.score(items);
    for (const [i, v] of a.entries()) expect(b[i]).toBeCloseTo(v, 5);
    // The held-out score range is recorded beside the model (RL reads it to spot scores past it).
    expect(loaded.scoreRange).toEqual({ min: res.eval!.min_score, max: res.eval!.max_score, pairs: 128 });
    const held = await loaded.score(heldOut.flatMap((r) => [r.prompt + r.chosen, r.prompt + r.rejected]));
    expect(Math.min(...held)).toBeCloseTo(loaded.scoreRange!.min, 4);
    expect(Math.max(...held)).toBeCloseTo(loaded.scoreRange!.max, 4);
    // Scores order texts by the rule.
    const [hi, lo] = await loaded.score([
      ' good great happy kind warm bright the sea ship man',
      ' the sea ship man went to old whale day a',
    ]);
    expect(hi!).toBeGreaterThan(lo!);
  });

  it('trains on a tiny Llama and saves it as LlamaForSequenceClassification, which loads back', async () => {
    const tok = Tokenizer.train([...good, ...other, 'Say:'].join(' ').repeat(20), { vocabSize: 300 });
    const config = modelConfig({
      family: 'llama',
      nLayer: 2,
      nHead: 4,
      nKVHead: 2,
      nEmbd: 32,
      nInner: 64,
      vocabSize: tok.vocabSize,
      nPositions: 32,
      bosTokenId: tok.bosTokenId,
      eosTokenId: tok.eosTokenId,
      tieWordEmbeddings: false,
    });
    const base = new CausalLM(config, initParams(config, 3), {}, {}, tok);
    const dir = mkdtempSync(join(tmpdir(), 'rm-llama-'));
    const heldOut = makePairs(64, 2);
    const res = await trainRewardModel(
      base,
      makePairs(192, 1),
      { ...rewardTrainDefaults, epochs: 3, batchSize: 16, maxLength: 32, lr: 3e-3 },
      { evalRecords: heldOut, runDir: dir },
    );
    expect(res.eval!.accuracy).toBeGreaterThanOrEqual(0.75);
    const model = join(dir, 'model');
    expect(JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'))).toMatchObject({
      architectures: ['LlamaForSequenceClassification'],
      model_type: 'llama',
      num_labels: 1,
      pad_token_id: tok.eosTokenId,
      tie_word_embeddings: false,
    });
    const { tensors } = await readSafetensors(join(model, 'model.safetensors'));
    expect(tensors.get('score.weight')?.shape).toEqual([1, 32]);
    expect(tensors.has('lm_head.weight')).toBe(false); // a classifier has no LM head
    const loaded = await RewardModel.load(model);
    const items = heldOut.slice(0, 4).map((r) => ({ prompt: r.prompt, completion: r.chosen }));
    const [a, b] = [await res.rm.score(items), await loaded.score(items)];
    for (const [i, v] of a.entries()) expect(b[i]).toBeCloseTo(v, 5);
  });

  it('resumes a stopped run from its checkpoint to the same parameters as an uninterrupted run', async () => {
    const train = makePairs(64, 5);
    const tok = Tokenizer.train([...good, ...other, 'Say:'].join(' ').repeat(20), { vocabSize: 300 });
    const config = gptConfig({
      nLayer: 1,
      nHead: 2,
      nEmbd: 16,
      vocabSize: tok.vocabSize,
      nPositions: 32,
      bosTokenId: tok.bosTokenId,
      eosTokenId: tok.eosTokenId,
    });
    const cfg = { ...rewardTrainDefaults, epochs: 2, batchSize: 8, maxLength: 32 };
    const base = () => new CausalLM(config, initParams(config, 9), {}, {}, tok);
    const full = await trainRewardModel(base(), train, cfg);
    const dir = mkdtempSync(join(tmpdir(), 'rm-resume-'));
    const control = new JobSwitch();
    const first = await trainRewardModel(base(), train, cfg, {
      runDir: dir,
      control,
      sink: (e) => {
        if (e.type === 'progress' && e.step === 11) control.stop();
      },
    });
    expect(first.stopped).toBe(true);
    const resumed = await trainRewardModel(base(), train, cfg, { runDir: dir });
    expect(resumed.stopped).toBe(false);
    for (const [k, v] of Object.entries(full.rm.lm.params)) expect(resumed.rm.lm.params[k]).toEqual(v);
    expect(resumed.rm.lm.heads['score.weight']).toEqual(full.rm.lm.heads['score.weight']);
  });

  it('passes a float64 finite-difference check of the Bradley-Terry loss gradient', async () => {
    const inputs = {
      c: { data: [0.3, -1.2, 2.0, 0.1], shape: [4], dtype: 'float64' as const },
      r: { data: [0.5, -2.0, 1.0, 0.1], shape: [4], dtype: 'float64' as const },
      m: { data: [0, 0.5, 0, 1], shape: [4], dtype: 'float64' as const },
    };
    const f = (x: Record<string, import('@rlhfkit/engine').Tensor>) =>
      bradleyTerryLoss({ chosen: x['c']!, rejected: x['r']!, margin: x['m']!, centering: 0.1 }).loss;
    const { value, grads } = await valueAndGrad(f, inputs, { wrt: ['c', 'r'] });
    const host = (c: number[], r: number[]) => {
      const m = inputs.m.data;
      let l = 0;
      let cen = 0;
      c.forEach((v, i) => {
        l += Math.log1p(Math.exp(-(v - r[i]! - m[i]!)));
        cen += (v + r[i]!) ** 2;
      });
      return l / c.length + 0.1 * (cen / c.length);
    };
    expect(value).toBeCloseTo(host(inputs.c.data, inputs.r.data), 12);
    const eps = 1e-6;
    for (const which of ['c', 'r'] as const) {
      for (let i = 0; i < 4; i++) {
        const plus = { c: [...inputs.c.data], r: [...inputs.r.data] };
        const minus = { c: [...inputs.c.data], r: [...inputs.r.data] };
        plus[which][i]! += eps;
        minus[which][i]! -= eps;
        const num = (host(plus.c, plus.r) - host(minus.c, minus.r)) / (2 * eps);
        expect(grads[which]![i]).toBeCloseTo(num, 7);
      }
    }
  });

  it('computes preference metrics on the host like the in-graph loss', () => {
    const m = preferenceMetrics([1, 0, 2], [0, 1, 2]);
    expect(m.accuracy).toBeCloseTo(1 / 3);
    expect(m.margin).toBeCloseTo(0);
    expect(m.loss).toBeCloseTo((Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(1)) + Math.log(2)) / 3);
  });
});
