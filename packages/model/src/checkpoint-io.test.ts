import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, loadModelDir, type NamedTensors, saveModelDir } from './checkpoint-io.js';
import { gptConfig } from './config.js';
import { paramShapes } from './param-shapes.js';
import { readSafetensors, type SafeTensor, writeSafetensors } from './safetensors.js';
import { Tokenizer } from './tokenizer.js';

const config = gptConfig({
  nLayer: 2,
  nHead: 2,
  nEmbd: 8,
  vocabSize: 300,
  nPositions: 16,
  bosTokenId: 299,
  eosTokenId: 299,
});
const tmp = () => mkdtempSync(join(tmpdir(), 'ckpt-'));

function randomParams(seed = 1): NamedTensors {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
  const out: NamedTensors = {};
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    out[name] = { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next) };
  }
  return out;
}

const heads: NamedTensors = {
  'value_head.weight': { shape: [8, 1], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
  'value_head.bias': { shape: [1], data: Float32Array.from([0.5]) },
};

/** Rewrite a saved model.safetensors through `edit`, which may rename, drop or add tensors. */
async function editWeights(dir: string, edit: (t: Map<string, SafeTensor>) => Map<string, SafeTensor>) {
  const path = join(dir, 'model.safetensors');
  await writeSafetensors(path, edit((await readSafetensors(path)).tensors), { format: 'pt' });
}

describe('model directory', () => {
  it('saves config, weights, heads, generation config and tokenizer, and loads them back', async () => {
    const dir = join(tmp(), 'model');
    const params = randomParams();
    const tokenizer = Tokenizer.train('hello world, hello there. '.repeat(50), { vocabSize: 270 });
    await saveModelDir(dir, { config, params, heads, tokenizer, generation: { maxNewTokens: 12 } });
    expect(readdirSync(dir).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'heads.safetensors',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({
      model_type: 'gpt2',
      n_embd: 8,
      vocab_size: 300,
      architectures: ['GPT2LMHeadModel'],
    });
    const gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'));
    expect(gen).toEqual({ bos_token_id: 299, eos_token_id: 299, pad_token_id: 299, max_new_tokens: 12 });
    expect((await readSafetensors(join(dir, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });

    const loaded = await loadModelDir(dir);
    const { hf: files, ...read } = loaded.config;
    expect(read).toEqual(config);
    expect(files?.config).toEqual(hf);
    expect(loaded.params).toEqual(params);
    expect(loaded.heads).toEqual(heads);
    expect(loaded.tokenizer?.encode('hello world')).toEqual(tokenizer.encode('hello world'));
  });

  it('replaces an existing model directory whole, leaving nothing stale or temporary', async () => {
    const root = tmp();
    const dir = join(root, 'model');
    await saveModelDir(dir, { config, params: randomParams(1), heads });
    const params = randomParams(2);
    await saveModelDir(dir, { config, params });
    expect(readdirSync(root)).toEqual(['model']);
    expect(readdirSync(dir)).not.toContain('heads.safetensors');
    const loaded = await loadModelDir(dir);
    expect(loaded.params).toEqual(params);
    expect(loaded.heads).toEqual({});
    expect(loaded.tokenizer).toBeNull();
  });

  it('stores half-precision weights on request and widens them on load', async () => {
    const dir = join(tmp(), 'model');
    const params = randomParams();
    await saveModelDir(dir, { config, params, dtype: 'BF16' });
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    expect(tensors.get('wte.weight')?.dtype).toBe('BF16');
    const w = (await loadModelDir(dir)).params['h.1.mlp.c_fc.weight']!;
    w.data.forEach((v, i) => {
      expect(Math.abs(v - params['h.1.mlp.c_fc.weight']!.data[i]!)).toBeLessThan(1 / 128);
    });
  });

  it('accepts a "transformer." prefix, a tied lm_head.weight and attention-mask buffers', async () => {
    const dir = join(tmp(), 'model');
    const params = randomParams();
    await saveModelDir(dir, { config, params });
    await editWeights(dir, (t) => {
      const out = new Map([...t].map(([k, v]) => [`transformer.${k}`, v]));
      out.set('lm_head.weight', t.get('wte.weight')!);
      out.set('transformer.h.0.attn.bias', {
        dtype: 'BOOL',
        shape: [1, 1, 2, 2],
        data: Uint8Array.from([1, 0, 1, 1]),
      });
      return out;
    });
    expect((await loadModelDir(dir)).params).toEqual(params);
  });

  it('saves a model with a score head as GPT2ForSequenceClassification, and loads it back', async () => {
    const dir = join(tmp(), 'rm');
    const params = randomParams();
    const score = { shape: [1, 8], data: Float32Array.from([1, -2, 3, -4, 5, -6, 7, -8]) };
    await saveModelDir(dir, { config, params, heads: { ...heads, 'score.weight': score } });
    const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({
      architectures: ['GPT2ForSequenceClassification'],
      num_labels: 1,
      id2label: { 0: 'LABEL_0' },
      pad_token_id: 299,
    });
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    expect(tensors.get('score.weight')?.shape).toEqual([1, 8]);
    expect(tensors.has('transformer.wte.weight')).toBe(true); // HF's GPT2ForSequenceClassification names
    expect([...tensors.keys()].every((k) => k === 'score.weight' || k.startsWith('transformer.'))).toBe(true);
    const loaded = await loadModelDir(dir);
    expect(loaded.config.task).toBe('sequence-classification');
    expect(loaded.params).toEqual(params);
    expect(loaded.heads).toEqual({ ...heads, 'score.weight': score });
  });

  describe('rejects a checkpoint that does not fit its config, naming the file and the tensors', () => {
    async function saved(): Promise<{ dir: string; file: string }> {
      const dir = join(tmp(), 'model');
      await saveModelDir(dir, { config, params: randomParams() });
      return { dir, file: join(dir, 'model.safetensors') };
    }

    it('when tensors are missing or unexpected', async () => {
      const { dir, file } = await saved();
      await editWeights(dir, (t) => {
        t.delete('h.1.ln_2.bias');
        t.delete('ln_f.weight');
        t.set('extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
        return t;
      });
      await expect(loadModelDir(dir)).rejects.toThrow(CheckpointError);
      await expect(loadModelDir(dir)).rejects.toThrow(
        `${file}: missing tensors: h.1.ln_2.bias, ln_f.weight; unexpected tensor: extra.weight`,
      );
    });

    it('when a shape is wrong, giving expected and actual (and spotting a transposed Conv1D weight)', async () => {
      const { dir, file } = await saved();
      await editWeights(dir, (t) => {
        const w = t.get('h.0.attn.c_attn.weight')!;
        t.set('h.0.attn.c_attn.weight', { ...w, shape: [24, 8] } as SafeTensor);
        t.set('wpe.weight', { dtype: 'F32', shape: [8, 8], data: new Float32Array(64) });
        return t;
      });
      await expect(loadModelDir(dir)).rejects.toThrow(
        `${file}: wpe.weight: expected shape [16,8], got [8,8]; ` +
          'h.0.attn.c_attn.weight: expected shape [8,24], got [24,8] (transposed? Conv1D weights are [in, out])',
      );
    });

    it('when lm_head.weight is not tied to wte.weight', async () => {
      const { dir, file } = await saved();
      await editWeights(dir, (t) =>
        t.set('lm_head.weight', { dtype: 'F32', shape: [300, 8], data: new Float32Array(2400) }),
      );
      await expect(loadModelDir(dir)).rejects.toThrow(`${file}: lm_head.weight differs from wte.weight`);
    });

    it('when a tensor has an integer dtype', async () => {
      const { dir, file } = await saved();
      await editWeights(dir, (t) =>
        t.set('ln_f.bias', { dtype: 'I32', shape: [8], data: new Int32Array(8) }),
      );
      await expect(loadModelDir(dir)).rejects.toThrow(`${file}: tensor "ln_f.bias" has dtype I32`);
    });

    it('when config.json or model.safetensors is missing, or the tokenizer is larger than the vocab', async () => {
      const { dir, file } = await saved();
      const letters = 'abcdefghijklmnopqrstuvwxyz';
      const words = [...letters].flatMap((a) => [...letters].map((b) => a + b + a));
      const big = Tokenizer.train(words.join(' '), { vocabSize: 320, minFrequency: 1 });
      await big.save(dir);
      await expect(loadModelDir(dir)).rejects.toThrow(
        `${dir}: tokenizer has 320 tokens but config.json vocab_size is 300`,
      );
      rmSync(file);
      await expect(loadModelDir(dir)).rejects.toThrow(`${file}: not found`);
      await expect(loadModelDir(tmp())).rejects.toThrow(
        /config\.json: not found \(is this a model directory\?\)/,
      );
    });
  });

  it('refuses to save over parameters that do not match the config, or over a directory that is not a model', async () => {
    const params = randomParams();
    params['wte.weight'] = { shape: [299, 8], data: new Float32Array(299 * 8) };
    await expect(saveModelDir(join(tmp(), 'm'), { config, params })).rejects.toThrow(
      /wte\.weight: expected shape \[300,8\], got \[299,8\]/,
    );
    const notModel = tmp();
    writeFileSync(join(notModel, 'notes.txt'), 'keep me');
    await expect(saveModelDir(notModel, { config, params: randomParams() })).rejects.toThrow(
      /refusing to replace/,
    );
    expect(readdirSync(notModel)).toEqual(['notes.txt']);
  });
});
