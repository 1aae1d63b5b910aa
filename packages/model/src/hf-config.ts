/**
 * The Hugging Face config.json and generation_config.json of each family (model_type gpt2, llama, qwen2,
 * qwen3), read into a ModelConfig and written back. Reading keeps the raw files; writing starts from them and
 * replaces only the keys whose meaning changed, so unknown keys (and HF's own spellings, e.g. rope_parameters)
 * survive a load → save round trip. Fields a config.json leaves out take HF's defaults for that model_type;
 * architecture options our forward pass does not implement are refused, naming the key, rather than computed
 * wrong.
 */
import {
  ConfigError,
  type Family,
  type GenerationDefaults,
  type ModelConfig,
  modelConfig,
} from './config.js';

type Json = Record<string, unknown>;

const families: readonly Family[] = ['gpt2', 'llama', 'qwen2', 'qwen3'];

/** HF class names by family: [causal LM, sequence classifier]. */
const classes: Record<Family, [string, string]> = {
  gpt2: ['GPT2LMHeadModel', 'GPT2ForSequenceClassification'],
  llama: ['LlamaForCausalLM', 'LlamaForSequenceClassification'],
  qwen2: ['Qwen2ForCausalLM', 'Qwen2ForSequenceClassification'],
  qwen3: ['Qwen3ForCausalLM', 'Qwen3ForSequenceClassification'],
};

/** The HF architecture class of a config, e.g. Qwen2ForSequenceClassification. */
export const hfArchitecture = (c: ModelConfig): string => classes[c.family][c.task === 'causal-lm' ? 0 : 1];

/** HF's config defaults for the keys a Llama-family config.json may leave out (Qwen3: Qwen2's, plus head_dim). */
const qwenDefaults: Json = {
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 22016,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  max_position_embeddings: 32768,
};
const llamaDefaults: Record<Exclude<Family, 'gpt2'>, Json> = {
  llama: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    max_position_embeddings: 2048,
    bos_token_id: 1,
    eos_token_id: 2,
  },
  qwen2: qwenDefaults,
  qwen3: { ...qwenDefaults, head_dim: 128 },
};

const tanhGelu = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

/** Token ids as a list (HF allows one id or a list for eos_token_id). */
const idList = (v: unknown): number[] =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]) as number[];

/**
 * Read an HF config.json object (and, when given, generation_config.json, whose eos ids generation also stops
 * on). Throws ConfigError naming `source` and every unsupported key.
 */
export function fromHFConfig(json: unknown, source = 'config.json', generation?: unknown): ModelConfig {
  const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json)) throw new ConfigError(`${source}: expected a JSON object`);
  const j = json;
  const gen = isObject(generation) ? generation : undefined;
  const family = (j['model_type'] ?? 'gpt2') as Family;
  if (!families.includes(family)) {
    throw new ConfigError(
      `${source}: model_type ${JSON.stringify(j['model_type'])} is not supported (gpt2, llama, qwen2, qwen3)`,
    );
  }
  const problems: string[] = [];
  const fields = family === 'gpt2' ? gpt2Fields(j, problems) : llamaFields(j, family, problems);
  if (problems.length > 0) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  const arch = Array.isArray(j['architectures']) ? String(j['architectures'][0] ?? '') : '';
  const eos = [...new Set([...idList(fields.eos), ...idList(gen?.['eos_token_id'])])] as number[];
  if (eos.length === 0) throw new ConfigError(`${source}: eos_token_id is missing`);
  const pad = j['pad_token_id'];
  return modelConfig(
    {
      ...fields.config,
      family,
      task: arch.endsWith('ForSequenceClassification') ? 'sequence-classification' : 'causal-lm',
      bosTokenId: (j['bos_token_id'] ?? fields.bos ?? eos[0]) as number,
      eosTokenId: eos[0]!,
      eosTokenIds: eos,
      padTokenId: typeof pad === 'number' && pad >= 0 ? pad : null,
      hf: gen ? { config: j, generation: gen } : { config: j },
    },
    source,
  );
}

interface Fields {
  config: Partial<ModelConfig>;
  eos: unknown;
  bos: unknown;
}

function gpt2Fields(j: Json, problems: string[]): Fields {
  const act = j['activation_function'] ?? 'gelu_new';
  if (typeof act !== 'string' || !tanhGelu.has(act))
    problems.push(`activation_function ${JSON.stringify(act)} is not supported (use gelu_new)`);
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention']) {
    if (j[flag] === true) problems.push(`${flag} = true is not supported`);
  }
  if (j['scale_attn_weights'] === false) problems.push('scale_attn_weights = false is not supported');
  const pick = (key: string, fallback: number): number => (j[key] ?? fallback) as number;
  const nEmbd = pick('n_embd', 768);
  const nHead = pick('n_head', 12);
  return {
    config: {
      nLayer: pick('n_layer', 12),
      nHead,
      nKVHead: nHead,
      headDim: nEmbd / nHead,
      nEmbd,
      nInner: pick('n_inner', 4 * nEmbd),
      vocabSize: pick('vocab_size', 50257),
      nPositions: pick('n_positions', pick('n_ctx', 1024)),
      layerNormEpsilon: pick('layer_norm_epsilon', 1e-5),
      tieWordEmbeddings: j['tie_word_embeddings'] !== false,
    },
    bos: 50256,
    eos: j['eos_token_id'] ?? 50256,
  };
}

function llamaFields(j: Json, family: Exclude<Family, 'gpt2'>, problems: string[]): Fields {
  const d = llamaDefaults[family];
  const pick = (key: string, fallback?: unknown): number => (j[key] ?? d[key] ?? fallback) as number;
  const act = j['hidden_act'] ?? 'silu';
  if (act !== 'silu') problems.push(`hidden_act ${JSON.stringify(act)} is not supported (silu)`);
  for (const flag of ['use_sliding_window', 'rope_interleaved']) {
    if (j[flag] === true) problems.push(`${flag} = true is not supported`);
  }
  const layerTypes = j['layer_types'];
  if (Array.isArray(layerTypes) && layerTypes.some((t) => t !== 'full_attention'))
    problems.push('layer_types other than "full_attention" are not supported');
  const partial = j['partial_rotary_factor'];
  if (partial !== undefined && partial !== null && partial !== 1)
    problems.push(`partial_rotary_factor ${JSON.stringify(partial)} is not supported (1)`);
  const nEmbd = pick('hidden_size');
  const nHead = pick('num_attention_heads');
  const attnBias = j['attention_bias'] === true;
  return {
    config: {
      nLayer: pick('num_hidden_layers'),
      nHead,
      nKVHead: pick('num_key_value_heads', nHead),
      headDim: pick('head_dim', nEmbd / nHead),
      nEmbd,
      nInner: pick('intermediate_size'),
      vocabSize: pick('vocab_size'),
      nPositions: pick('max_position_embeddings'),
      layerNormEpsilon: pick('rms_norm_eps', 1e-6),
      tieWordEmbeddings: j['tie_word_embeddings'] === true,
      ...rope(j, problems),
      qkvBias: family === 'qwen2' || attnBias,
      oBias: family !== 'qwen2' && attnBias,
      mlpBias: family === 'llama' && j['mlp_bias'] === true,
      qkNorm: family === 'qwen3',
    },
    bos: d['bos_token_id'],
    eos: j['eos_token_id'] ?? d['eos_token_id'],
  };
}

/** rope_theta and rope_scaling (or transformers 5's rope_parameters); types other than linear/llama3 refused. */
function rope(j: Json, problems: string[]): Pick<ModelConfig, 'ropeTheta' | 'ropeScaling'> {
  const key = j['rope_scaling'] != null ? 'rope_scaling' : 'rope_parameters';
  const r = (j[key] ?? null) as Json | null;
  const ropeTheta = (j['rope_theta'] ?? r?.['rope_theta'] ?? 10000) as number;
  const type = r?.['rope_type'] ?? r?.['type'] ?? 'default';
  if (type === 'default') return { ropeTheta, ropeScaling: null };
  const num = (k: string): number => {
    const v = r?.[k];
    if (typeof v !== 'number') problems.push(`${key}.${k} must be a number for rope type ${type}`);
    return v as number;
  };
  if (type === 'linear') return { ropeTheta, ropeScaling: { type, factor: num('factor') } };
  if (type === 'llama3') {
    return {
      ropeTheta,
      ropeScaling: {
        type,
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositions: num('original_max_position_embeddings'),
      },
    };
  }
  problems.push(`${key}.rope_type ${JSON.stringify(type)} is not supported (default, linear, llama3)`);
  return { ropeTheta, ropeScaling: null };
}

/** Our canonical config.json for a config (no raw file involved). */
function canonical(c: ModelConfig): Json {
  const eos = c.eosTokenIds.length > 1 ? c.eosTokenIds : c.eosTokenId;
  const common: Json = {
    architectures: [hfArchitecture(c)],
    model_type: c.family,
    vocab_size: c.vocabSize,
    bos_token_id: c.bosTokenId,
    eos_token_id: eos,
    tie_word_embeddings: c.tieWordEmbeddings,
    torch_dtype: 'float32',
  };
  if (c.padTokenId !== null || c.task === 'sequence-classification')
    common['pad_token_id'] = c.padTokenId ?? c.eosTokenId;
  if (c.task === 'sequence-classification')
    Object.assign(common, { num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } });
  if (c.family === 'gpt2') {
    return {
      ...common,
      n_layer: c.nLayer,
      n_head: c.nHead,
      n_embd: c.nEmbd,
      n_positions: c.nPositions,
      n_ctx: c.nPositions,
      n_inner: c.nInner === 4 * c.nEmbd ? null : c.nInner,
      layer_norm_epsilon: c.layerNormEpsilon,
      activation_function: 'gelu_new',
      scale_attn_weights: true,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
    };
  }
  const s = c.ropeScaling;
  const out: Json = {
    ...common,
    hidden_size: c.nEmbd,
    intermediate_size: c.nInner,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: c.nKVHead,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.nPositions,
    rms_norm_eps: c.layerNormEpsilon,
    rope_theta: c.ropeTheta,
    rope_scaling:
      s === null
        ? null
        : s.type === 'linear'
          ? { rope_type: 'linear', factor: s.factor }
          : {
              rope_type: 'llama3',
              factor: s.factor,
              low_freq_factor: s.lowFreqFactor,
              high_freq_factor: s.highFreqFactor,
              original_max_position_embeddings: s.originalMaxPositions,
            },
    attention_dropout: 0,
  };
  if (c.family !== 'qwen2') out['attention_bias'] = c.oBias;
  if (c.family === 'llama') out['mlp_bias'] = c.mlpBias;
  else out['use_sliding_window'] = false;
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The HF config.json for a config. A config read from a file gives that file back, with only the keys whose
 * value changed since (e.g. architectures when a reward model is saved) replaced; key order is kept.
 */
export function toHFConfig(c: ModelConfig): Json {
  const ours = canonical(c);
  if (!c.hf) return ours;
  const before = canonical(fromHFConfig(c.hf.config, 'config.json', c.hf.generation));
  const out: Json = { ...c.hf.config };
  for (const [k, v] of Object.entries(ours)) if (!same(v, before[k])) out[k] = v;
  return out;
}

/** The HF generation_config.json: the one read (if any), else the special tokens; plus sampling defaults. */
export function toHFGenerationConfig(c: ModelConfig, gen: GenerationDefaults = {}): Json {
  const out: Json = c.hf?.generation
    ? { ...c.hf.generation }
    : {
        bos_token_id: c.bosTokenId,
        eos_token_id: c.eosTokenIds.length > 1 ? c.eosTokenIds : c.eosTokenId,
        pad_token_id: c.padTokenId ?? c.eosTokenId,
      };
  if (gen.maxNewTokens !== undefined) out['max_new_tokens'] = gen.maxNewTokens;
  const sampling = gen.temperature !== undefined || gen.topK !== undefined || gen.topP !== undefined;
  if (sampling) out['do_sample'] = true;
  if (gen.temperature !== undefined) out['temperature'] = gen.temperature;
  if (gen.topK !== undefined) out['top_k'] = gen.topK;
  if (gen.topP !== undefined) out['top_p'] = gen.topP;
  return out;
}
