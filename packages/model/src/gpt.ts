/**
 * The GPT-2 architecture in engine ops (nanoGPT order): pre-LN blocks, learned positions, tanh-GELU, tied LM
 * head, plus a value head and a scalar score head. Parameter names and layouts are HF GPT-2's: Conv1D weights
 * are [in, out], so every projection is x @ W + b.
 */
import {
  add,
  causalAttention,
  gather,
  gelu,
  layerNorm,
  matmul,
  Rng,
  reshape,
  split,
  type Tensor,
  transpose,
} from '@rlhfkit/engine';
import type { GPTConfig } from './config.js';
import { paramShapes } from './param-shapes.js';

export type Params = Record<string, Tensor>;
export type HostParams = Record<string, Float32Array>;

/** GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/√(2·nLayer), norms 1, biases 0. */
export function initParams(c: GPTConfig, seed: number, shapes = paramShapes(c)): HostParams {
  const rng = new Rng(seed);
  const out: HostParams = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(size);
    if (/ln_\d|ln_f/.test(name) && name.endsWith('.weight')) a.fill(1);
    else if (name.endsWith('.weight')) {
      const std = name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * c.nLayer) : 0.02;
      for (let i = 0; i < size; i++) a[i] = std * rng.normal();
    }
    out[name] = a;
  }
  return out;
}

/** Split the last axis into heads: (B, T, C) → (B, H, T, D). */
function heads(x: Tensor, nHead: number): Tensor {
  const [B, T, C] = x.shape as [number, number, number];
  return transpose(reshape(x, [B, T, nHead, C / nHead]), [0, 2, 1, 3]);
}

/** Merge heads back: (B, H, T, D) → (B, T, C). */
function merge(y: Tensor): Tensor {
  const [B, H, T, D] = y.shape as [number, number, number, number];
  return reshape(transpose(y, [0, 2, 1, 3]), [B, T, H * D]);
}

const linear = (x: Tensor, p: Params, name: string) =>
  add(matmul(x, p[`${name}.weight`]!), p[`${name}.bias`]!);

/** A projection by parameter name (e.g. `h.0.mlp.c_fc`): x @ W + b, however the product is written. */
export type Linear = (x: Tensor, name: string) => Tensor;

/** Split qkv (B, T, 3C) into q, k, v heads. */
export function qkvHeads(qkv: Tensor, c: GPTConfig): [Tensor, Tensor, Tensor] {
  const C = c.nEmbd;
  // One split (its gradient is one concat; three slices would each pad back to 3C and be summed).
  const [q, k, v] = split(qkv, [C, C, C], 2) as [Tensor, Tensor, Tensor];
  return [heads(q, c.nHead), heads(k, c.nHead), heads(v, c.nHead)];
}

/**
 * The MLP half of block i: x + c_proj(gelu(c_fc(ln_2(x)))). `lin` computes the projections (the decode step
 * passes one with its own product layout).
 */
export function mlpResidual(
  x: Tensor,
  p: Params,
  i: number,
  c: GPTConfig,
  lin: Linear = (y, name) => linear(y, p, name),
): Tensor {
  const h = `h.${i}`;
  const a = layerNorm(x, p[`${h}.ln_2.weight`]!, p[`${h}.ln_2.bias`]!, c.layerNormEpsilon);
  return add(x, lin(gelu(lin(a, `${h}.mlp.c_fc`)), `${h}.mlp.c_proj`));
}

export interface ForwardInputs {
  /** Token ids, int64 (B, T). */
  ids: Tensor;
  /** Position ids, int64 (B, T): with left padding, the count of real tokens before each one. */
  positions: Tensor;
  /** 1 for real tokens, 0 for padding (B, T), in the model dtype; omitted: all real. */
  mask?: Tensor;
}

/** The final hidden states (B, T, C), after ln_f. Also returns each layer's k and v heads (for a KV cache). */
export function forwardHidden(p: Params, c: GPTConfig, inp: ForwardInputs): { hidden: Tensor; kv: Tensor[] } {
  let x = add(gather(p['wte.weight']!, inp.ids, 0), gather(p['wpe.weight']!, inp.positions, 0)); // (B, T, C)
  const kv: Tensor[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const h = `h.${i}`;
    const a = layerNorm(x, p[`${h}.ln_1.weight`]!, p[`${h}.ln_1.bias`]!, c.layerNormEpsilon);
    const [q, k, v] = qkvHeads(linear(a, p, `${h}.attn.c_attn`), c); // (B, H, T, D) each
    kv.push(k, v);
    const y = merge(causalAttention(q, k, v, inp.mask)); // (B, T, C)
    x = mlpResidual(add(x, linear(y, p, `${h}.attn.c_proj`)), p, i, c);
  }
  return { hidden: layerNorm(x, p['ln_f.weight']!, p['ln_f.bias']!, c.layerNormEpsilon), kv };
}

/** LM logits from hidden states with the tied embedding: (B, T, C) @ wteᵀ → (B, T, V). */
export const lmLogits = (hidden: Tensor, p: Params): Tensor =>
  matmul(hidden, transpose(p['wte.weight']!, [1, 0]));

/** A scalar head over hidden states: (B, T, C) → (B, T). */
export function scalarHead(hidden: Tensor, p: Params, name: 'value_head' | 'score_head'): Tensor {
  const [B, T] = hidden.shape as [number, number, number];
  return reshape(linear(hidden, p, name), [B, T]);
}
