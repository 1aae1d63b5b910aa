import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobSwitch } from '@rlhfkit/io';
import { describe, expect, it } from 'vitest';
import { CausalLM, loadCausalLM } from './causal-lm.js';
import { gptConfig } from './config.js';
import { initParams } from './forward.js';
import { promptCompletion, sftData, textData } from './lm-data.js';
import { pretrain, pretrainDefaults } from './pretrain.js';

const config = gptConfig({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  vocabSize: 24,
  nPositions: 32,
  bosTokenId: 0,
  eosTokenId: 0,
});
// A stream with structure: counting cycles of varying period, so the next token is predictable from context.
const stream = Array.from({ length: 4000 }, (_, i) => 1 + ((i * 7 + Math.floor(i / 50)) % 23));
const cfg = {
  ...pretrainDefaults,
  steps: 60,
  batchSize: 8,
  contextLength: 16,
  lr: 1e-2,
  warmupSteps: 5,
  minLr: 1e-3,
  stepsPerRun: 10,
  evalEvery: 30,
  evalBatches: 2,
  checkpointEvery: 0,
};

describe('pretrain', () => {
  it('lowers held-out loss well below uniform and logs metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pretrain-'));
    const lm = new CausalLM(config, initParams(config, 1));
    const res = await pretrain(lm, textData(stream), cfg, {
      runDir: dir,
      evalData: textData(stream.slice(0, 800)),
    });
    expect(res.evalLoss).not.toBeNull();
    expect(res.evalLoss!).toBeLessThan(0.5 * Math.log(24));
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[5]!).step).toBe(60);
    // The input model is left as it was.
    expect(lm.params['wte.weight']).toEqual(initParams(config, 1)['wte.weight']);
  });

  it('resumes from a checkpoint to exactly the parameters of an uninterrupted run', async () => {
    const full = await pretrain(new CausalLM(config, initParams(config, 2)), textData(stream), cfg);
    const dir = mkdtempSync(join(tmpdir(), 'pretrain-resume-'));
    const control = new JobSwitch();
    const first = await pretrain(new CausalLM(config, initParams(config, 2)), textData(stream), cfg, {
      runDir: dir,
      control,
      sink: (e) => {
        if (e.type === 'progress' && e.step === 30) control.stop();
      },
    });
    expect(first.stopped).toBe(true);
    const resumed = await pretrain(new CausalLM(config, initParams(config, 99)), textData(stream), cfg, {
      runDir: dir,
    });
    expect(resumed.stopped).toBe(false);
    for (const k of Object.keys(full.lm.params)) expect(resumed.lm.params[k]).toEqual(full.lm.params[k]);
  });

  it('fine-tunes on prompt/completion pairs with the loss on the completion only', async () => {
    const examples = Array.from({ length: 20 }, (_, i) =>
      promptCompletion([1 + (i % 5), 2, 3], [10 + (i % 5), 11, 0]),
    );
    const lm = new CausalLM(config, initParams(config, 3));
    const res = await pretrain(
      lm,
      sftData(examples, 0),
      { ...cfg, steps: 100 },
      { evalData: sftData(examples, 0) },
    );
    // Completions are determined by the prompt's first token: the loss can go near zero.
    expect(res.evalLoss!).toBeLessThan(0.3);
  });

  it('fine-tunes a loaded Llama checkpoint (sharded, GQA, untied) and saves it back in its own layout', async () => {
    const fixture = fileURLToPath(new URL('../test/fixtures/tiny-llama', import.meta.url));
    const lm = await loadCausalLM(fixture);
    const examples = Array.from({ length: 20 }, (_, i) =>
      promptCompletion([4 + (i % 5), 5, 6], [20 + (i % 5), 21, 2]),
    );
    const data = sftData(examples, 2);
    const quick = { ...cfg, steps: 40, checkpointEvery: 0 };
    const before = await pretrain(
      lm,
      data,
      { ...quick, steps: 10, lr: 1e-9, minLr: 1e-9 },
      { evalData: data },
    );
    const dir = mkdtempSync(join(tmpdir(), 'sft-llama-'));
    const res = await pretrain(lm, data, quick, { evalData: data, runDir: dir });
    expect(res.evalLoss!).toBeLessThan(0.3 * before.evalLoss!);
    expect(res.lm.params['lm_head.weight']).not.toEqual(lm.params['lm_head.weight']); // the untied head trains
    const saved = await loadCausalLM(join(dir, 'checkpoint', 'model'));
    expect(saved.config).toMatchObject({ family: 'llama', nKVHead: 2, tieWordEmbeddings: false });
    expect(saved.params).toEqual(res.lm.params);
    const hf = JSON.parse(readFileSync(join(dir, 'checkpoint', 'model', 'config.json'), 'utf8'));
    expect(hf).toEqual(JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')));
  });
});
