import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  fromHFConfig,
  gptConfig,
  gptDefaults,
  toHFConfig,
  toHFGenerationConfig,
} from './config.js';

const tiny = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  vocabSize: 50,
  nPositions: 32,
  bosTokenId: 49,
  eosTokenId: 49,
};

/** config.json of the gpt2 checkpoint as published by Hugging Face (task-specific params left out). */
const gpt2HubConfig = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  vocab_size: 50257,
};

describe('GPT config', () => {
  it('fills defaults (GPT-2 small) and accepts a valid tiny config', () => {
    expect(gptConfig()).toEqual(gptDefaults);
    expect(gptConfig(tiny)).toEqual({ ...tiny, layerNormEpsilon: 1e-5 });
  });

  it('says why a config is invalid, listing every problem', () => {
    expect(() => gptConfig({ ...tiny, nEmbd: 18, nHead: 4 })).toThrow(
      'nEmbd (18) must be divisible by nHead (4)',
    );
    expect(() => gptConfig({ ...tiny, nLayer: 0, eosTokenId: 50 })).toThrow(
      /nLayer must be a positive integer, got 0; eosTokenId must be an integer in \[0, vocabSize=50\), got 50/,
    );
    expect(() => gptConfig({ ...tiny, layerNormEpsilon: -1 })).toThrow(/layerNormEpsilon must be a positive/);
    expect(() => gptConfig({ ...tiny, nLayers: 3 } as never)).toThrow(/unknown fields: nLayers/);
    expect(() => gptConfig({ ...tiny, nHead: 2.5 })).toThrow(ConfigError);
  });

  it('round-trips through an HF config.json', () => {
    const c = gptConfig(tiny);
    const hf = toHFConfig(c);
    expect(hf).toMatchObject({
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      n_layer: 2,
      n_head: 2,
      n_embd: 16,
      vocab_size: 50,
      n_positions: 32,
      n_ctx: 32,
      bos_token_id: 49,
      eos_token_id: 49,
      layer_norm_epsilon: 1e-5,
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
    });
    expect(fromHFConfig(JSON.parse(JSON.stringify(hf)))).toEqual(c);
  });

  it("reads GPT-2's published config.json, and fills missing fields with HF's defaults", () => {
    expect(fromHFConfig(gpt2HubConfig)).toEqual(gptDefaults);
    expect(fromHFConfig({ model_type: 'gpt2', n_ctx: 64, n_layer: 1 })).toEqual({
      ...gptDefaults,
      nLayer: 1,
      nPositions: 64,
    });
  });

  it('rejects HF options our forward pass does not compute, naming the file', () => {
    const bad = (extra: Record<string, unknown>, msg: RegExp) =>
      expect(() => fromHFConfig({ ...gpt2HubConfig, ...extra }, '/m/config.json')).toThrow(msg);
    bad({ model_type: 'llama' }, /^\/m\/config\.json: model_type is "llama", only "gpt2"/);
    bad({ activation_function: 'relu' }, /activation_function "relu" is not supported/);
    bad({ n_inner: 100 }, /n_inner 100 is not supported/);
    bad({ tie_word_embeddings: false }, /untied word embeddings/);
    bad({ scale_attn_by_inverse_layer_idx: true }, /scale_attn_by_inverse_layer_idx = true/);
    bad(
      { n_head: 5 },
      /\/m\/config\.json: invalid GPT config: nEmbd \(768\) must be divisible by nHead \(5\)/,
    );
    expect(() => fromHFConfig([1])).toThrow(/expected a JSON object/);
  });

  it('writes generation_config.json with special tokens and optional sampling defaults', () => {
    const c = gptConfig(tiny);
    expect(toHFGenerationConfig(c)).toEqual({ bos_token_id: 49, eos_token_id: 49, pad_token_id: 49 });
    expect(toHFGenerationConfig(c, { maxNewTokens: 20, temperature: 0.7, topK: 5 })).toEqual({
      bos_token_id: 49,
      eos_token_id: 49,
      pad_token_id: 49,
      max_new_tokens: 20,
      do_sample: true,
      temperature: 0.7,
      top_k: 5,
    });
  });
});
