/**
 * The forward pass of every family over its decoder (decoder.ts): hidden states and each layer's keys and
 * values, the LM logits, the scalar value and score heads, and initial parameters.
 */
import { add, causalAttention, matmul, Rng, reshape, type Tensor, transpose } from '@rlhfkit/engine';
import { repeatKV } from './blocks.js';
import type { ModelConfig } from './config.js';
import type { Decoder, ForwardInputs, HostParams, Params } from './decoder.js';
import { gpt2Decoder } from './gpt.js';
import { llamaDecoder } from './llama.js';
import { paramShapes } from './param-shapes.js';

/** The decoder of a config's family over parameters p. */
export const decoder = (c: ModelConfig, p: Params): Decoder =>
  c.family === 'gpt2' ? gpt2Decoder(c, p) : llamaDecoder(c, p);

/**
 * The final hidden states (B, T, C), after the final norm. Also returns each layer's k and v heads
 * (B, Hkv, T, D), keys after RoPE, for a KV cache.
 */
export function forwardHidden(
  p: Params,
  c: ModelConfig,
  inp: ForwardInputs,
): { hidden: Tensor; kv: Tensor[] } {
  const d = decoder(c, p);
  const G = c.nHead / c.nKVHead;
  let x = d.embed(inp.ids, inp.positions); // (B, T, C)
  const rot = d.rotary(inp.positions); // (B, T, 1, D)
  const kv: Tensor[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const [q, k, v] = d.attnInputs(x, i, d.linear, rot).map((t) => transpose(t, [0, 2, 1, 3])) as [
      Tensor,
      Tensor,
      Tensor,
    ]; // (B, H, T, D), (B, Hkv, T, D) ×2
    kv.push(k, v);
    const y = causalAttention(q, repeatKV(k, G), repeatKV(v, G), inp.mask); // (B, H, T, D)
    const [B, H, T, D] = y.shape as [number, number, number, number];
    x = d.attnResidual(x, reshape(transpose(y, [0, 2, 1, 3]), [B, T, H * D]), i, d.linear);
    x = d.mlpResidual(x, i, d.linear);
  }
  return { hidden: d.finalNorm(x), kv };
}

/** The LM head's weight (V, C); throws for a classifier that has none. */
export function lmHeadWeight(p: Params, c: ModelConfig): Tensor {
  const w = decoder(c, p).lmHead;
  if (!w) throw new Error('this model has no LM head (an untied sequence-classification checkpoint)');
  return w;
}

/** LM logits from hidden states: (…, C) @ Wᵀ → (…, V), W the LM head (the token embedding when tied). */
export const lmLogits = (hidden: Tensor, p: Params, c: ModelConfig): Tensor =>
  matmul(hidden, transpose(lmHeadWeight(p, c), [1, 0]));

/**
 * A scalar head over hidden states (B, T, C) → (B, T): the value head (weight [C, 1] and a bias, ours), or
 * HF's sequence-classification score (score.weight [1, C], no bias).
 */
export function scalarHead(hidden: Tensor, p: Params, name: 'value_head' | 'score'): Tensor {
  const [B, T] = hidden.shape as [number, number, number];
  if (name === 'score') return reshape(matmul(hidden, transpose(p['score.weight']!, [1, 0])), [B, T]);
  return reshape(add(matmul(hidden, p['value_head.weight']!), p['value_head.bias']!), [B, T]);
}

/**
 * Initial parameters: N(0, 0.02) (HF's initializer_range) for weights, with GPT-2's residual projections
 * (c_proj) scaled by 1/√(2·nLayer); norm weights 1; biases 0.
 */
export function initParams(c: ModelConfig, seed: number, shapes = paramShapes(c)): HostParams {
  const rng = new Rng(seed);
  const out: HostParams = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(size);
    if (/(ln_\d+|ln_f|norm)\.weight$/.test(name)) a.fill(1);
    else if (name.endsWith('.weight')) {
      const std =
        c.family === 'gpt2' && name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * c.nLayer) : 0.02;
      for (let i = 0; i < size; i++) a[i] = std * rng.normal();
    }
    out[name] = a;
  }
  return out;
}
