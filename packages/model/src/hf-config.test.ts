import { describe, expect, it } from 'vitest';
import { gptConfig, gptDefaults, type ModelConfig } from './config.js';
import { fromHFConfig, toHFConfig, toHFGenerationConfig } from './hf-config.js';

const tiny = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  vocabSize: 50,
  nPositions: 32,
  bosTokenId: 49,
  eosTokenId: 49,
};

/** A config without the raw files it was read from. */
const fields = (c: ModelConfig): Omit<ModelConfig, 'hf'> => {
  const { hf: _, ...rest } = c;
  return rest;
};

/** config.json of the gpt2 checkpoint as published by Hugging Face (task-specific params left out). */
const gpt2Hub = {
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

/** The config.json files of SmolLM2-135M, Qwen2.5-0.5B, Qwen3-0.6B and Llama-3.2-1B as published. */
const smollm2 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 0,
  eos_token_id: 0,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  is_llama_config: true,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: 49152,
};
const qwen25 = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.40.1',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
const qwen3 = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.51.0',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
const llama32 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: 128001,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 128256,
};

describe('GPT-2 config.json', () => {
  it('round-trips', () => {
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
      n_inner: null,
      bos_token_id: 49,
      eos_token_id: 49,
      layer_norm_epsilon: 1e-5,
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
    });
    expect(fields(fromHFConfig(JSON.parse(JSON.stringify(hf))))).toEqual(c);
  });

  it("reads GPT-2's published config.json, and fills missing fields with HF's defaults", () => {
    expect(fields(fromHFConfig(gpt2Hub))).toEqual(gptDefaults);
    expect(fields(fromHFConfig({ model_type: 'gpt2', n_ctx: 64, n_layer: 1 }))).toEqual({
      ...gptDefaults,
      nLayer: 1,
      nPositions: 64,
    });
    const untied = fromHFConfig({ ...gpt2Hub, n_inner: 1000, tie_word_embeddings: false });
    expect([untied.nInner, untied.tieWordEmbeddings]).toEqual([1000, false]);
  });

  it('rejects options our forward pass does not compute, naming the file', () => {
    const bad = (extra: Record<string, unknown>, msg: RegExp) =>
      expect(() => fromHFConfig({ ...gpt2Hub, ...extra }, '/m/config.json')).toThrow(msg);
    bad({ model_type: 'mistral' }, /^\/m\/config\.json: model_type "mistral" is not supported/);
    bad({ activation_function: 'relu' }, /activation_function "relu" is not supported/);
    bad({ scale_attn_by_inverse_layer_idx: true }, /scale_attn_by_inverse_layer_idx = true/);
    bad(
      { n_head: 5 },
      /\/m\/config\.json: invalid model config: nEmbd \(768\) must be divisible by nHead \(5\)/,
    );
    expect(() => fromHFConfig([1])).toThrow(/expected a JSON object/);
  });
});

describe('Llama, Qwen2 and Qwen3 config.json', () => {
  it('reads the published configs of SmolLM2, Qwen2.5, Qwen3 and Llama 3.2', () => {
    const s = fromHFConfig(smollm2);
    expect(s).toMatchObject({
      family: 'llama',
      nLayer: 30,
      nHead: 9,
      nKVHead: 3,
      headDim: 64,
      nEmbd: 576,
      nInner: 1536,
      vocabSize: 49152,
      nPositions: 8192,
      layerNormEpsilon: 1e-5,
      ropeTheta: 100000,
      ropeScaling: null,
      tieWordEmbeddings: true,
      qkvBias: false,
      oBias: false,
      qkNorm: false,
    });
    expect(fromHFConfig(qwen25)).toMatchObject({ family: 'qwen2', headDim: 64, nKVHead: 2, qkvBias: true });
    expect(fromHFConfig(qwen3)).toMatchObject({ family: 'qwen3', headDim: 128, nEmbd: 1024, qkNorm: true });
    expect(fromHFConfig(llama32).ropeScaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8192,
    });
    // transformers 5 spells the rope settings as rope_parameters.
    const { rope_scaling: _, rope_theta: __, ...v5 } = llama32;
    const p = fromHFConfig({ ...v5, rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 5e5 } });
    expect([p.ropeTheta, p.ropeScaling]).toEqual([5e5, { type: 'linear', factor: 2 }]);
  });

  it('stops on every eos id of config.json and generation_config.json', () => {
    const c = fromHFConfig({ ...qwen25, eos_token_id: 151645 }, 'c', { eos_token_id: [151645, 151643] });
    expect([c.eosTokenId, c.eosTokenIds]).toEqual([151645, [151645, 151643]]);
    expect(fromHFConfig({ ...llama32, eos_token_id: [128001, 128009] }).eosTokenIds).toEqual([
      128001, 128009,
    ]);
  });

  it('writes the file it read back unchanged, replacing only what changed', () => {
    for (const hub of [smollm2, qwen25, qwen3, llama32, gpt2Hub]) {
      const c = fromHFConfig(hub);
      expect(JSON.stringify(toHFConfig(c))).toBe(JSON.stringify(hub));
    }
    const rm = toHFConfig({ ...fromHFConfig(qwen3), task: 'sequence-classification' });
    expect(rm).toMatchObject({
      ...qwen3,
      architectures: ['Qwen3ForSequenceClassification'],
      num_labels: 1,
      pad_token_id: 151645,
    });
    expect(toHFConfig({ ...fromHFConfig(smollm2), vocabSize: 49280 })['vocab_size']).toBe(49280);
  });

  it('writes a fresh config that reads back the same', () => {
    const c = fromHFConfig(llama32);
    const { hf: _, ...fresh } = c;
    expect(fields(fromHFConfig(JSON.parse(JSON.stringify(toHFConfig(fresh)))))).toEqual(fresh);
    const q = fromHFConfig({ ...qwen3, attention_bias: true });
    const { hf: __, ...q2 } = q;
    expect(fields(fromHFConfig(toHFConfig(q2)))).toEqual(q2);
  });

  it('refuses what it does not compute, naming the key', () => {
    const bad = (base: object, extra: Record<string, unknown>, msg: RegExp) =>
      expect(() => fromHFConfig({ ...base, ...extra }, '/m/config.json')).toThrow(msg);
    bad(
      llama32,
      { rope_scaling: { rope_type: 'yarn', factor: 4 } },
      /rope_scaling.rope_type "yarn" is not supported/,
    );
    bad(llama32, { rope_scaling: { type: 'dynamic', factor: 2 } }, /rope_scaling.rope_type "dynamic"/);
    bad(
      llama32,
      { rope_scaling: { rope_type: 'llama3', factor: 8 } },
      /rope_scaling.low_freq_factor must be a number/,
    );
    bad(qwen25, { use_sliding_window: true }, /use_sliding_window = true is not supported/);
    bad(qwen3, { layer_types: ['full_attention', 'sliding_attention'] }, /layer_types/);
    bad(smollm2, { hidden_act: 'gelu' }, /hidden_act "gelu" is not supported/);
    bad(smollm2, { rope_interleaved: true }, /rope_interleaved = true is not supported/);
    bad(smollm2, { partial_rotary_factor: 0.5 }, /partial_rotary_factor 0.5/);
    bad(smollm2, { num_key_value_heads: 4 }, /nHead \(9\) must be a multiple of nKVHead \(4\)/);
    const { eos_token_id: _, ...noEos } = qwen3;
    expect(() => fromHFConfig({ ...noEos, model_type: 'qwen3' }, '/m/config.json')).toThrow(
      '/m/config.json: eos_token_id is missing',
    );
  });
});

describe('generation_config.json', () => {
  it('holds special tokens and optional sampling defaults', () => {
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

  it('keeps the one read, with its own keys', () => {
    const gen = { bos_token_id: 151643, eos_token_id: [151645, 151643], top_p: 0.95, temperature: 0.6 };
    const c = fromHFConfig(qwen3, 'c', gen);
    expect(toHFGenerationConfig(c)).toEqual(gen);
  });
});
