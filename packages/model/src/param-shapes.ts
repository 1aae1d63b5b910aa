/**
 * Parameter names and shapes of each family, HF's own. GPT-2: GPT2Model's names without prefix, Conv1D weights
 * [in, out]. Llama, Qwen2, Qwen3: XForCausalLM's names (model.embed_tokens.weight, model.layers.N.…, model.norm,
 * lm_head.weight when untied), nn.Linear weights [out, in]. No engine import, so checkpoint I/O can use it
 * without loading the runtime.
 */
import type { ModelConfig } from './config.js';

/** The projections of layer i, by parameter name without `.weight` / `.bias`: [name, in, out, bias]. */
export function layerProjections(c: ModelConfig, i: number): [string, number, number, boolean][] {
  const C = c.nEmbd;
  if (c.family === 'gpt2') {
    const h = `h.${i}`;
    return [
      [`${h}.attn.c_attn`, C, 3 * C, true],
      [`${h}.attn.c_proj`, C, C, true],
      [`${h}.mlp.c_fc`, C, c.nInner, true],
      [`${h}.mlp.c_proj`, c.nInner, C, true],
    ];
  }
  const l = `model.layers.${i}`;
  const q = c.nHead * c.headDim;
  const kv = c.nKVHead * c.headDim;
  return [
    [`${l}.self_attn.q_proj`, C, q, c.qkvBias],
    [`${l}.self_attn.k_proj`, C, kv, c.qkvBias],
    [`${l}.self_attn.v_proj`, C, kv, c.qkvBias],
    [`${l}.self_attn.o_proj`, q, C, c.oBias],
    [`${l}.mlp.gate_proj`, C, c.nInner, c.mlpBias],
    [`${l}.mlp.up_proj`, C, c.nInner, c.mlpBias],
    [`${l}.mlp.down_proj`, c.nInner, C, c.mlpBias],
  ];
}

/** The token embedding's name. */
export const embedName = (c: ModelConfig): string =>
  c.family === 'gpt2' ? 'wte.weight' : 'model.embed_tokens.weight';

/** Whether the model carries its own lm_head.weight: untied, and a causal LM (a classifier has no LM head). */
export const hasOwnLMHead = (c: ModelConfig): boolean => !c.tieWordEmbeddings && c.task === 'causal-lm';

/** Every backbone parameter of a config (the LM head included when untied), with its shape, in a stable order. */
export function paramShapes(c: ModelConfig): Record<string, number[]> {
  const C = c.nEmbd;
  const s: Record<string, number[]> = { [embedName(c)]: [c.vocabSize, C] };
  if (c.family === 'gpt2') s['wpe.weight'] = [c.nPositions, C];
  const norm = (name: string, width = C) => {
    s[`${name}.weight`] = [width];
    if (c.family === 'gpt2') s[`${name}.bias`] = [width];
  };
  for (let i = 0; i < c.nLayer; i++) {
    const projections = layerProjections(c, i);
    const proj = ([name, nIn, nOut, bias]: [string, number, number, boolean]) => {
      s[`${name}.weight`] = c.family === 'gpt2' ? [nIn, nOut] : [nOut, nIn];
      if (bias) s[`${name}.bias`] = [nOut];
    };
    if (c.family === 'gpt2') {
      norm(`h.${i}.ln_1`);
      for (const p of projections.slice(0, 2)) proj(p);
      norm(`h.${i}.ln_2`);
      for (const p of projections.slice(2)) proj(p);
      continue;
    }
    const l = `model.layers.${i}`;
    norm(`${l}.input_layernorm`);
    for (const p of projections.slice(0, 4)) proj(p);
    if (c.qkNorm) {
      norm(`${l}.self_attn.q_norm`, c.headDim);
      norm(`${l}.self_attn.k_norm`, c.headDim);
    }
    norm(`${l}.post_attention_layernorm`);
    for (const p of projections.slice(4)) proj(p);
  }
  norm(c.family === 'gpt2' ? 'ln_f' : 'model.norm');
  if (hasOwnLMHead(c)) s['lm_head.weight'] = [c.vocabSize, C];
  return s;
}

/**
 * Shapes of the scalar heads read off the final hidden state: the value head (ours, in heads.safetensors) and
 * the score head of a sequence classifier (HF's score.weight [1, C], no bias: a Bradley-Terry reward is
 * shift-invariant, so a bias would get no signal).
 */
export const headShapes = (c: ModelConfig): Record<string, number[]> => ({
  'value_head.weight': [c.nEmbd, 1],
  'value_head.bias': [1],
  'score.weight': [1, c.nEmbd],
});
