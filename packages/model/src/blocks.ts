/**
 * The building blocks the Llama-family models share, one definition each, following HF transformers'
 * modeling_llama / qwen2 / qwen3: RMSNorm, rotary position embeddings (with HF's linear and llama3 frequency
 * scaling), the SwiGLU MLP, and key/value heads repeated for grouped-query attention. Every function works on
 * the last axis (or the head axis before it), so the same code serves the full forward pass (B, T, H, D) and
 * a decode step's rows (B, H, D).
 */
import {
  add,
  cast,
  concat,
  constant,
  cos,
  div,
  exp,
  expand,
  matmul,
  mul,
  neg,
  reduceMean,
  reshape,
  sigmoid,
  sin,
  split,
  sqrt,
  type Tensor,
  transpose,
} from '@rlhfkit/engine';
import type { ModelConfig } from './config.js';

/**
 * RMSNorm over the last axis, HF's LlamaRMSNorm: x / √(mean(x²) + eps), then times the weight (after the
 * normalisation). We compute in float32 throughout, so HF's upcast is a no-op here. A composite of existing
 * primitives; its gradient comes from theirs. Forward and backward of 8 of them on (1024, 576) took 179 ms
 * against 141 ms for 8 of the fused layerNorm primitive (30 alternating runs, shared machine): a fused rule
 * would save about 5 ms a norm, under 1% of a smollm2-135m training step (61 norms, about 14 s), so none yet.
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const ms = reduceMean(mul(x, x), -1, true); // (…, 1)
  return mul(div(x, sqrt(add(ms, eps))), weight);
}

/**
 * RoPE inverse frequencies, 1 / θ^(2i/D) for i < D/2, scaled as HF's ROPE_INIT_FUNCTIONS do for `linear`
 * (all divided by the factor) and `llama3` (long wavelengths divided by the factor, short ones kept, a smooth
 * blend between).
 */
export function ropeInvFreq(c: ModelConfig): number[] {
  const D = c.headDim;
  const base = Array.from({ length: D / 2 }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / D));
  const s = c.ropeScaling;
  if (s === null) return base;
  if (s.type === 'linear') return base.map((f) => f / s.factor);
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** cos and sin of the rotary angles at some positions, shaped (…, 1, D) to broadcast over heads. */
export interface Rotary {
  cos: Tensor;
  /** sin with the first half negated, so rotate_half(x)·sin = swapHalves(x)·sinSigned. */
  sinSigned: Tensor;
}

/**
 * Rotary cos/sin gathered by position id (int64, any shape), so left-padded rows rotate by their own
 * positions: angles = position · inv_freq in the model dtype, as HF computes them (float32), then
 * [angles, angles] as HF's emb.
 */
export function rotary(positions: Tensor, invFreq: number[], dtype: Tensor['dtype']): Rotary {
  const shape = positions.shape;
  const h = invFreq.length;
  // The outer product position ⊗ inv_freq: one float32 product per angle, as HF's matmul over an axis of 1.
  const freq = mul(reshape(cast(positions, dtype), [...shape, 1, 1]), constant(invFreq, [h], dtype)); // (…, 1, D/2)
  const c = cos(freq);
  const s = sin(freq);
  return { cos: concat([c, c], -1), sinSigned: concat([neg(s), s], -1) }; // (…, 1, D)
}

/** HF's apply_rotary_pos_emb on x (…, H, D): x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁]. */
export function applyRotary(x: Tensor, r: Rotary): Tensor {
  const D = x.shape[x.rank - 1]!;
  const [x1, x2] = split(x, [D / 2, D / 2], x.rank - 1) as [Tensor, Tensor];
  return add(mul(x, r.cos), mul(concat([x2, x1], x.rank - 1), r.sinSigned));
}

/**
 * SiLU, z·σ(z). In float32 ORT fuses that product into one QuickGelu kernel; QuickGelu has no float64 kernel,
 * so float64 (gradient checks) is written z / (1 + e^(−z)), which ORT leaves alone.
 */
export const silu = (z: Tensor): Tensor =>
  z.dtype === 'float32' ? mul(z, sigmoid(z)) : div(z, add(1, exp(neg(z))));

/** SwiGLU: down(silu(gate(x)) ⊙ up(x)); `lin` applies a projection by name. */
export function swiglu(x: Tensor, prefix: string, lin: (x: Tensor, name: string) => Tensor): Tensor {
  return lin(mul(silu(lin(x, `${prefix}.gate_proj`)), lin(x, `${prefix}.up_proj`)), `${prefix}.down_proj`);
}

/** HF's repeat_kv: (B, Hkv, T, D) → (B, Hkv·G, T, D), each key/value head serving G query heads in a row. */
export function repeatKV(x: Tensor, G: number): Tensor {
  if (G === 1) return x;
  const [B, H, T, D] = x.shape as [number, number, number, number];
  return reshape(expand(reshape(x, [B, H, 1, T, D]), [B, H, G, T, D]), [B, H * G, T, D]);
}

/** x @ Wᵀ for an nn.Linear weight W [out, in], plus the bias when there is one. */
export function linearOutIn(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = matmul(x, transpose(w, [1, 0]));
  return b ? add(y, b) : y;
}
