/**
 * The Llama-family decoder (HF modeling_llama, qwen2, qwen3): pre-RMSNorm blocks, rotary positions, grouped-
 * query attention with optional q/k/v (and output) biases and, for Qwen3, an RMSNorm over each q and k head
 * before RoPE; a SwiGLU MLP; an LM head tied to the embedding or its own lm_head.weight. Weights keep
 * nn.Linear's [out, in] layout: the full pass computes x @ Wᵀ, which ORT runs as a FusedMatMul with a
 * transposed operand (the backward pass keeps one Transpose of W per projection and step). Measured against
 * x @ W with W stored [in, out], forward and backward of a 576 → 1536 projection over 1024 rows (smollm2-135m's
 * MLP), 30 alternating runs on the shared 2-core machine: 328 ms against 322 ms median, within noise. A decode
 * step's W @ xᵀ (generate.ts) needs W exactly as stored, so [out, in] is also the faster layout there.
 */
import { add, gather, reshape, type Tensor } from '@rlhfkit/engine';
import { applyRotary, linearOutIn, rmsNorm, ropeInvFreq, rotary, swiglu } from './blocks.js';
import type { ModelConfig } from './config.js';
import type { Decoder, Params } from './decoder.js';
import { embedName, layerProjections } from './param-shapes.js';

/** A Llama / Qwen2 / Qwen3 decoder over parameters p. */
export function llamaDecoder(c: ModelConfig, p: Params): Decoder {
  const embed = p[embedName(c)]!;
  const invFreq = ropeInvFreq(c);
  const norm = (x: Tensor, name: string) => rmsNorm(x, p[`${name}.weight`]!, c.layerNormEpsilon);
  const layer = (i: number) => `model.layers.${i}`;
  return {
    layout: 'out-in',
    projections: Array.from({ length: c.nLayer }, (_, i) => layerProjections(c, i).map(([n]) => n)).flat(),
    linear: (x, name) => linearOutIn(x, p[`${name}.weight`]!, p[`${name}.bias`]),
    embed: (ids) => gather(embed, ids, 0),
    rotary: (positions) => rotary(positions, invFreq, embed.dtype),
    attnInputs(x, i, lin, rot) {
      const l = layer(i);
      const lead = x.shape.slice(0, -1);
      const a = norm(x, `${l}.input_layernorm`);
      const heads = (name: string, n: number) =>
        reshape(lin(a, `${l}.self_attn.${name}`), [...lead, n, c.headDim]);
      let q = heads('q_proj', c.nHead); // (…, H, D)
      let k = heads('k_proj', c.nKVHead); // (…, Hkv, D)
      if (c.qkNorm) {
        q = norm(q, `${l}.self_attn.q_norm`);
        k = norm(k, `${l}.self_attn.k_norm`);
      }
      return [applyRotary(q, rot!), applyRotary(k, rot!), heads('v_proj', c.nKVHead)];
    },
    attnResidual: (x, y, i, lin) => add(x, lin(y, `${layer(i)}.self_attn.o_proj`)),
    mlpResidual: (x, i, lin) =>
      add(x, swiglu(norm(x, `${layer(i)}.post_attention_layernorm`), `${layer(i)}.mlp`, lin)),
    finalNorm: (x) => norm(x, 'model.norm'),
    lmHead: p['lm_head.weight'] ?? (c.tieWordEmbeddings ? embed : null),
  };
}
