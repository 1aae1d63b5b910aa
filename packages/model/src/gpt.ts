/**
 * The GPT-2 decoder (nanoGPT order): pre-LN blocks, learned positions, tanh-GELU, an LM head tied to wte
 * (or lm_head.weight when untied). Parameter names and layouts are HF GPT-2's: Conv1D weights are [in, out],
 * so every projection is x @ W + b.
 */
import {
  add,
  gather,
  gelu,
  layerNorm,
  matmul,
  reshape,
  split,
  type Tensor,
  transpose,
} from '@rlhfkit/engine';
import type { ModelConfig } from './config.js';
import type { Decoder, Linear, Params } from './decoder.js';
import { layerProjections } from './param-shapes.js';

const linear = (x: Tensor, p: Params, name: string) =>
  add(matmul(x, p[`${name}.weight`]!), p[`${name}.bias`]!);

/** Split qkv (B, T, 3C) into q, k, v heads (B, H, T, D). */
export function qkvHeads(qkv: Tensor, c: ModelConfig): [Tensor, Tensor, Tensor] {
  const [B, T] = qkv.shape as [number, number, number];
  return qkvSplit(qkv, c).map((t) => transpose(reshape(t, [B, T, c.nHead, c.headDim]), [0, 2, 1, 3])) as [
    Tensor,
    Tensor,
    Tensor,
  ];
}

// One split (its gradient is one concat; three slices would each pad back to 3C and be summed).
const qkvSplit = (qkv: Tensor, c: ModelConfig) => split(qkv, [c.nEmbd, c.nEmbd, c.nEmbd], qkv.rank - 1);

/**
 * The MLP half of block i: x + c_proj(gelu(c_fc(ln_2(x)))). `lin` computes the projections (the decode step
 * passes one with its own product layout).
 */
export function mlpResidual(
  x: Tensor,
  p: Params,
  i: number,
  c: ModelConfig,
  lin: Linear = (y, name) => linear(y, p, name),
): Tensor {
  const h = `h.${i}`;
  const a = layerNorm(x, p[`${h}.ln_2.weight`]!, p[`${h}.ln_2.bias`]!, c.layerNormEpsilon);
  return add(x, lin(gelu(lin(a, `${h}.mlp.c_fc`)), `${h}.mlp.c_proj`));
}

/** GPT-2's decoder over parameters p. */
export function gpt2Decoder(c: ModelConfig, p: Params): Decoder {
  const ln = (x: Tensor, name: string) =>
    layerNorm(x, p[`${name}.weight`]!, p[`${name}.bias`]!, c.layerNormEpsilon);
  return {
    layout: 'in-out',
    projections: Array.from({ length: c.nLayer }, (_, i) => layerProjections(c, i).map(([n]) => n)).flat(),
    linear: (x, name) => linear(x, p, name),
    embed: (ids, positions) => add(gather(p['wte.weight']!, ids, 0), gather(p['wpe.weight']!, positions, 0)),
    rotary: () => null,
    attnInputs(x, i, lin) {
      const lead = x.shape.slice(0, -1);
      const qkv = lin(ln(x, `h.${i}.ln_1`), `h.${i}.attn.c_attn`); // (…, 3C)
      return qkvSplit(qkv, c).map((t) => reshape(t, [...lead, c.nHead, c.headDim])) as [
        Tensor,
        Tensor,
        Tensor,
      ];
    },
    attnResidual: (x, y, i, lin) => add(x, lin(y, `h.${i}.attn.c_proj`)),
    mlpResidual: (x, i, lin) => mlpResidual(x, p, i, c, lin),
    finalNorm: (x) => ln(x, 'ln_f'),
    lmHead: p['lm_head.weight'] ?? (c.tieWordEmbeddings ? p['wte.weight']! : null),
  };
}
