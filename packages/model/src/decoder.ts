/**
 * What a family's decoder is made of, as functions the full forward pass (forward.ts) and the KV-cache decode
 * step (generate.ts) both run: an embedding, per layer the attention inputs (q, k, v heads, with norms, biases
 * and RoPE), the attention output and the MLP with their residuals, a final norm and the LM head. GPT-2 is in
 * gpt.ts, Llama / Qwen2 / Qwen3 in llama.ts. Shapes are written (…, C): the full pass has (B, T) in front, a
 * decode step (B).
 */
import type { Tensor } from '@rlhfkit/engine';
import type { Rotary } from './blocks.js';

export type Params = Record<string, Tensor>;
export type HostParams = Record<string, Float32Array>;

/** A projection by parameter name (e.g. `h.0.mlp.c_fc`): x W + b, however the product is written. */
export type Linear = (x: Tensor, name: string) => Tensor;

export interface Decoder {
  /** How projection weights are stored: GPT-2's Conv1D [in, out] or nn.Linear's [out, in]. */
  layout: 'in-out' | 'out-in';
  /** Every projection's parameter name without `.weight`. */
  projections: string[];
  /** The projection as the full forward pass computes it: x (…, in) → (…, out), bias included if any. */
  linear: Linear;
  /** Token ids (and positions) (…) → the residual stream (…, C). */
  embed(ids: Tensor, positions: Tensor): Tensor;
  /** Rotary cos / sin for positions (…) as (…, 1, D); null for learned positions (GPT-2). */
  rotary(positions: Tensor): Rotary | null;
  /** Layer i's q (…, H, D), k and v (…, Hkv, D) from the residual stream x (…, C). */
  attnInputs(x: Tensor, i: number, lin: Linear, rot: Rotary | null): [Tensor, Tensor, Tensor];
  /** x plus layer i's output projection of the attention result y (…, H·D). */
  attnResidual(x: Tensor, y: Tensor, i: number, lin: Linear): Tensor;
  /** x plus layer i's MLP of its normalised x. */
  mlpResidual(x: Tensor, i: number, lin: Linear): Tensor;
  finalNorm(x: Tensor): Tensor;
  /** The LM head (V, C): lm_head.weight, or the token embedding when tied; null for a classifier without one. */
  lmHead: Tensor | null;
}

export interface ForwardInputs {
  /** Token ids, int64 (B, T). */
  ids: Tensor;
  /** Position ids, int64 (B, T): with left padding, the count of real tokens before each one. */
  positions: Tensor;
  /** 1 for real tokens, 0 for padding (B, T), in the model dtype; omitted: all real. */
  mask?: Tensor;
}
