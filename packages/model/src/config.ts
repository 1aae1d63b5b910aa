/**
 * The model config: one shape for every family (GPT-2, Llama, Qwen2, Qwen3), told apart by `family`, and its
 * validation. The HF config.json forms are in hf-config.ts. Validation is by hand: zod is not a dependency of
 * this package.
 */

/** The architectures we run, by HF model_type. Llama, Qwen2 and Qwen3 share one implementation (llama.ts). */
export type Family = 'gpt2' | 'llama' | 'qwen2' | 'qwen3';

/** RoPE frequency scaling (HF rope_scaling): none, `linear`, or Llama 3.1's `llama3`. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      /** The context length the model was pretrained at (original_max_position_embeddings). */
      originalMaxPositions: number;
    };

/** What a checkpoint is for: next-token prediction (XForCausalLM) or one score (XForSequenceClassification). */
export type Task = 'causal-lm' | 'sequence-classification';

/** The raw HF files a config was read from; saving writes them back with only what changed replaced. */
export interface HFFiles {
  config: Record<string, unknown>;
  generation?: Record<string, unknown>;
}

export interface ModelConfig {
  family: Family;
  task: Task;
  /** Number of transformer blocks. */
  nLayer: number;
  /** Query heads per block. */
  nHead: number;
  /** Key/value heads per block (grouped-query attention); divides nHead. GPT-2: nHead. */
  nKVHead: number;
  /** Width of one head. GPT-2 and most Llamas: nEmbd / nHead; Qwen3 sets it on its own. */
  headDim: number;
  /** Width of the residual stream (C, HF hidden_size / n_embd). */
  nEmbd: number;
  /** Width of the MLP's hidden layer (HF intermediate_size / n_inner; GPT-2: 4·nEmbd). */
  nInner: number;
  /** Rows of the token embedding (V); may exceed the tokenizer's vocab (padding rows). */
  vocabSize: number;
  /** The longest context the model accepts (GPT-2: rows of the learned position embedding). */
  nPositions: number;
  /** Token id that begins a sequence. */
  bosTokenId: number;
  /** Token id that ends a sequence, also used to pad batches. */
  eosTokenId: number;
  /** Every token id that ends a sequence (eosTokenId first); generation stops on any of them. */
  eosTokenIds: number[];
  /** HF pad_token_id, when the config sets one (a sequence classifier reads the score before padding). */
  padTokenId: number | null;
  /** Epsilon inside every norm (GPT-2 layer_norm_epsilon, Llama rms_norm_eps). */
  layerNormEpsilon: number;
  /** The LM head is the token embedding (true), or its own lm_head.weight. */
  tieWordEmbeddings: boolean;
  /** RoPE base (rope_theta); unused by GPT-2. */
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Biases on the q, k and v projections (GPT-2, Qwen2, Llama/Qwen3 attention_bias). */
  qkvBias: boolean;
  /** Bias on the attention output projection (GPT-2, Llama/Qwen3 attention_bias). */
  oBias: boolean;
  /** Biases in the MLP (GPT-2, Llama mlp_bias). */
  mlpBias: boolean;
  /** RMSNorm over each query and key head before RoPE (Qwen3). */
  qkNorm: boolean;
  /** The HF files this config came from, if any. */
  hf?: HFFiles;
}

/** The config's historical name: every package that ran GPT-2 only names it so. */
export type GPTConfig = ModelConfig;

/** GPT-2 small, which is also what HF's GPT2Config assumes for any field a config.json leaves out. */
export const gptDefaults: ModelConfig = {
  family: 'gpt2',
  task: 'causal-lm',
  nLayer: 12,
  nHead: 12,
  nKVHead: 12,
  headDim: 64,
  nEmbd: 768,
  nInner: 3072,
  vocabSize: 50257,
  nPositions: 1024,
  bosTokenId: 50256,
  eosTokenId: 50256,
  eosTokenIds: [50256],
  padTokenId: null,
  layerNormEpsilon: 1e-5,
  tieWordEmbeddings: true,
  ropeTheta: 10000,
  ropeScaling: null,
  qkvBias: true,
  oBias: true,
  mlpBias: true,
  qkNorm: false,
};

/** An invalid config; the message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const isLlamaFamily = (f: Family) => f !== 'gpt2';

/**
 * Defaults for the fields `partial` leaves out: GPT-2 small's, with everything that follows from the given
 * sizes derived from them (headDim = nEmbd / nHead, nKVHead = nHead, nInner = 4·nEmbd, eosTokenIds) and the
 * family's own choices (Llamas: RMSNorm eps 1e-6, untied, no biases; Qwen2: q/k/v biases; Qwen3: q/k norms).
 */
function withDefaults(partial: Partial<ModelConfig>): ModelConfig {
  const family = partial.family ?? 'gpt2';
  const nEmbd = partial.nEmbd ?? gptDefaults.nEmbd;
  const nHead = partial.nHead ?? gptDefaults.nHead;
  const eosTokenId = partial.eosTokenId ?? partial.eosTokenIds?.[0] ?? gptDefaults.eosTokenId;
  const llama = isLlamaFamily(family);
  return {
    ...gptDefaults,
    nKVHead: nHead,
    headDim: nEmbd / nHead,
    nInner: 4 * nEmbd,
    eosTokenIds: [eosTokenId],
    layerNormEpsilon: llama ? 1e-6 : gptDefaults.layerNormEpsilon,
    tieWordEmbeddings: !llama,
    qkvBias: !llama || family === 'qwen2',
    oBias: !llama,
    mlpBias: !llama,
    qkNorm: family === 'qwen3',
    ...partial,
    family,
    eosTokenId,
  };
}

/** Fill defaults and validate; throws ConfigError naming each bad field (and `source` when given). */
export function modelConfig(partial: Partial<ModelConfig> = {}, source?: string): ModelConfig {
  const c = withDefaults(partial);
  const problems: string[] = [];
  const positiveInt = [
    'nLayer',
    'nHead',
    'nKVHead',
    'headDim',
    'nEmbd',
    'nInner',
    'vocabSize',
    'nPositions',
  ] as const;
  for (const k of positiveInt) {
    if (k === 'headDim' && c.family === 'gpt2') continue; // nEmbd / nHead, checked below
    if (!Number.isSafeInteger(c[k]) || c[k] <= 0)
      problems.push(`${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  }
  const tokenId = (k: string, v: unknown) => {
    if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) >= c.vocabSize)
      problems.push(`${k} must be an integer in [0, vocabSize=${c.vocabSize}), got ${JSON.stringify(v)}`);
  };
  tokenId('bosTokenId', c.bosTokenId);
  tokenId('eosTokenId', c.eosTokenId);
  if (!Array.isArray(c.eosTokenIds) || c.eosTokenIds[0] !== c.eosTokenId)
    problems.push(`eosTokenIds must be a list that starts with eosTokenId (${c.eosTokenId})`);
  else for (const [i, id] of c.eosTokenIds.entries()) tokenId(`eosTokenIds[${i}]`, id);
  if (c.padTokenId !== null) tokenId('padTokenId', c.padTokenId);
  if (problems.length === 0) {
    if (c.nHead % c.nKVHead !== 0)
      problems.push(`nHead (${c.nHead}) must be a multiple of nKVHead (${c.nKVHead})`);
    if (c.family === 'gpt2') {
      if (c.nEmbd % c.nHead !== 0)
        problems.push(`nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
      else if (c.headDim !== c.nEmbd / c.nHead) problems.push(`GPT-2's headDim is nEmbd / nHead`);
      if (c.nKVHead !== c.nHead) problems.push('GPT-2 has no grouped-query attention (nKVHead = nHead)');
      if (!c.qkvBias || !c.oBias || !c.mlpBias || c.qkNorm || c.ropeScaling)
        problems.push('GPT-2 has every bias, no q/k norm and no RoPE');
    } else if (c.headDim % 2 !== 0) {
      problems.push(`headDim (${c.headDim}) must be even for rotary embeddings`);
    }
  }
  if (!['gpt2', 'llama', 'qwen2', 'qwen3'].includes(c.family))
    problems.push(`family must be gpt2, llama, qwen2 or qwen3, got ${JSON.stringify(c.family)}`);
  if (c.task !== 'causal-lm' && c.task !== 'sequence-classification')
    problems.push(`task must be causal-lm or sequence-classification, got ${JSON.stringify(c.task)}`);
  if (!(Number.isFinite(c.layerNormEpsilon) && c.layerNormEpsilon > 0))
    problems.push(`layerNormEpsilon must be a positive number, got ${JSON.stringify(c.layerNormEpsilon)}`);
  if (!(Number.isFinite(c.ropeTheta) && c.ropeTheta > 0))
    problems.push(`ropeTheta must be a positive number, got ${JSON.stringify(c.ropeTheta)}`);
  if (c.ropeScaling && !(c.ropeScaling.factor >= 1))
    problems.push(`ropeScaling.factor must be >= 1, got ${JSON.stringify(c.ropeScaling.factor)}`);
  if (c.ropeScaling?.type === 'llama3' && !(c.ropeScaling.highFreqFactor > c.ropeScaling.lowFreqFactor))
    problems.push('ropeScaling.highFreqFactor must be greater than lowFreqFactor');
  const unknown = Object.keys(partial).filter((k) => !Object.hasOwn(gptDefaults, k) && k !== 'hf');
  if (unknown.length > 0) problems.push(`unknown fields: ${unknown.join(', ')}`);
  if (problems.length > 0) {
    throw new ConfigError(`${source ? `${source}: ` : ''}invalid model config: ${problems.join('; ')}`);
  }
  return c;
}

/** modelConfig under its historical name; the family defaults to GPT-2. */
export const gptConfig = modelConfig;

/** Optional defaults recorded in generation_config.json (HF names: do_sample, temperature, top_k, top_p). */
export interface GenerationDefaults {
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
}
