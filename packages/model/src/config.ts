/**
 * The GPT config, its validation, and the Hugging Face config.json / generation_config.json forms
 * (model_type "gpt2"). Validation is by hand: zod is not a dependency of this package.
 */

export interface GPTConfig {
  /** Number of transformer blocks. */
  nLayer: number;
  /** Attention heads per block; must divide nEmbd. */
  nHead: number;
  /** Width of the residual stream (C). */
  nEmbd: number;
  /** Rows of the token embedding (V); may exceed the tokenizer's vocab (padding rows). */
  vocabSize: number;
  /** Rows of the learned position embedding: the longest context the model accepts. */
  nPositions: number;
  /** Token id that begins a sequence (GPT-2: <|endoftext|>). */
  bosTokenId: number;
  /** Token id that ends a sequence; generation stops on it. */
  eosTokenId: number;
  /** Epsilon inside every layer norm. */
  layerNormEpsilon: number;
}

/** GPT-2 small, which is also what HF's GPT2Config assumes for any field a config.json leaves out. */
export const gptDefaults: GPTConfig = {
  nLayer: 12,
  nHead: 12,
  nEmbd: 768,
  vocabSize: 50257,
  nPositions: 1024,
  bosTokenId: 50256,
  eosTokenId: 50256,
  layerNormEpsilon: 1e-5,
};

/** An invalid config; the message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Fill defaults and validate; throws ConfigError naming each bad field (and `source` when given). */
export function gptConfig(partial: Partial<GPTConfig> = {}, source?: string): GPTConfig {
  const c: GPTConfig = { ...gptDefaults, ...partial };
  const problems: string[] = [];
  const positiveInt = ['nLayer', 'nHead', 'nEmbd', 'vocabSize', 'nPositions'] as const;
  for (const k of positiveInt) {
    if (!Number.isSafeInteger(c[k]) || c[k] <= 0)
      problems.push(`${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  }
  for (const k of ['bosTokenId', 'eosTokenId'] as const) {
    if (!Number.isSafeInteger(c[k]) || c[k] < 0 || c[k] >= c.vocabSize) {
      problems.push(`${k} must be an integer in [0, vocabSize=${c.vocabSize}), got ${JSON.stringify(c[k])}`);
    }
  }
  if (problems.length === 0 && c.nEmbd % c.nHead !== 0) {
    problems.push(`nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  }
  if (!(Number.isFinite(c.layerNormEpsilon) && c.layerNormEpsilon > 0)) {
    problems.push(`layerNormEpsilon must be a positive number, got ${JSON.stringify(c.layerNormEpsilon)}`);
  }
  const unknown = Object.keys(partial).filter((k) => !Object.hasOwn(gptDefaults, k));
  if (unknown.length > 0) problems.push(`unknown fields: ${unknown.join(', ')}`);
  if (problems.length > 0) {
    throw new ConfigError(`${source ? `${source}: ` : ''}invalid GPT config: ${problems.join('; ')}`);
  }
  return c;
}

/** The HF config.json of a GPT2LMHeadModel with this config. */
export function toHFConfig(c: GPTConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_embd: c.nEmbd,
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    n_inner: null,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    layer_norm_epsilon: c.layerNormEpsilon,
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
    scale_attn_weights: true,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    torch_dtype: 'float32',
  };
}

/** HF GPT-2 activations that are the tanh approximation of GELU, the one our forward pass computes. */
const tanhGelu = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

/**
 * Read an HF GPT-2 config.json object. Fields it leaves out take HF's GPT2Config defaults; architecture
 * options our forward pass does not implement are rejected rather than silently computed wrong.
 */
export function fromHFConfig(json: unknown, source = 'config.json'): GPTConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${source}: expected a JSON object`);
  }
  const j = json as Record<string, unknown>;
  const problems: string[] = [];
  if (j['model_type'] !== undefined && j['model_type'] !== 'gpt2') {
    problems.push(`model_type is ${JSON.stringify(j['model_type'])}, only "gpt2" is supported`);
  }
  const act = j['activation_function'] ?? 'gelu_new';
  if (typeof act !== 'string' || !tanhGelu.has(act)) {
    problems.push(`activation_function ${JSON.stringify(act)} is not supported (use gelu_new)`);
  }
  if (j['tie_word_embeddings'] === false) problems.push('untied word embeddings are not supported');
  const nEmbd = j['n_embd'] ?? gptDefaults.nEmbd;
  if (j['n_inner'] != null && j['n_inner'] !== 4 * (nEmbd as number)) {
    problems.push(`n_inner ${j['n_inner']} is not supported (the MLP width is 4 * n_embd)`);
  }
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (j[flag] === true) problems.push(`${flag} = true is not supported`);
  }
  if (j['scale_attn_weights'] === false) problems.push('scale_attn_weights = false is not supported');
  if (problems.length > 0) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  const pick = (key: string, fallback: number): number => {
    const v = j[key];
    return v === undefined || v === null ? fallback : (v as number);
  };
  const nPositions = pick('n_positions', pick('n_ctx', gptDefaults.nPositions));
  return gptConfig(
    {
      nLayer: pick('n_layer', gptDefaults.nLayer),
      nHead: pick('n_head', gptDefaults.nHead),
      nEmbd: pick('n_embd', gptDefaults.nEmbd),
      vocabSize: pick('vocab_size', gptDefaults.vocabSize),
      nPositions,
      bosTokenId: pick('bos_token_id', gptDefaults.bosTokenId),
      eosTokenId: pick('eos_token_id', gptDefaults.eosTokenId),
      layerNormEpsilon: pick('layer_norm_epsilon', gptDefaults.layerNormEpsilon),
    },
    source,
  );
}

/** Optional defaults recorded in generation_config.json (HF names: do_sample, temperature, top_k, top_p). */
export interface GenerationDefaults {
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
}

/** The HF generation_config.json for a model: its special tokens (pad = eos, as GPT-2) and sampling defaults. */
export function toHFGenerationConfig(c: GPTConfig, gen: GenerationDefaults = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    pad_token_id: c.eosTokenId,
  };
  if (gen.maxNewTokens !== undefined) out['max_new_tokens'] = gen.maxNewTokens;
  const sampling = gen.temperature !== undefined || gen.topK !== undefined || gen.topP !== undefined;
  if (sampling) out['do_sample'] = true;
  if (gen.temperature !== undefined) out['temperature'] = gen.temperature;
  if (gen.topK !== undefined) out['top_k'] = gen.topK;
  if (gen.topP !== undefined) out['top_p'] = gen.topP;
  return out;
}
