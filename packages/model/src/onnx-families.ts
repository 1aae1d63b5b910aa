/**
 * Each family's pieces of the hand-written ONNX decoder (onnx-export.ts runs them inside its shared skeleton
 * of inputs, KV cache, attention and LM head): the embedding, a layer's attention inputs, its two residual
 * halves and the final norm, the same computation as gpt.ts and llama.ts in ONNX ops over dynamic shapes.
 * Weights become initializers; nn.Linear weights are transposed once here, so every projection is x @ W.
 * Shapes: B batch_size, T sequence_length (the new tokens), C hidden, H / Hkv query / key-value heads, D head.
 */

import { ropeInvFreq } from './blocks.js';
import type { ModelConfig } from './config.js';
import type { HostParams } from './decoder.js';
import type { OnnxGraphBuilder } from './onnx-graph-builder.js';
import { embedName, layerProjections } from './param-shapes.js';

export interface OnnxFamily {
  /** ids, position_ids (B, T) → the residual stream (B, T, C). */
  embed(ids: string, positions: string): string;
  /** Layer i's q (B, H, T, D), k and v (B, Hkv, T, D) from x (B, T, C). */
  attnInputs(x: string, i: number): [string, string, string];
  /** x plus layer i's output projection of the attention result y (B, T, H·D). */
  attnResidual(x: string, y: string, i: number): string;
  /** x plus layer i's MLP. */
  mlpResidual(x: string, i: number): string;
  finalNorm(x: string): string;
  /** The LM head as (C, V), the right operand of the logits product. */
  lmHeadT(): string;
}

/** The family's pieces over `g`, reading weights from `params`. */
export function onnxFamily(g: OnnxGraphBuilder, c: ModelConfig, params: HostParams): OnnxFamily {
  const weight = (name: string) => {
    const data = params[name];
    if (!data) throw new Error(`ONNX export: missing parameter '${name}'`);
    return data;
  };
  const init = (name: string, dims: number[], data = weight(name)) => g.float32(name, data, dims);
  const i64 = (...v: number[]) => g.int64(v);
  const toHeads = (t: string, n: number) =>
    g.op('Transpose', [g.op('Reshape', [t, i64(0, 0, n, c.headDim)])], { perm: { ints: [0, 2, 1, 3] } });
  const C = c.nEmbd;
  const shapes = new Map(
    Array.from({ length: c.nLayer }, (_, i) => layerProjections(c, i))
      .flat()
      .map(([name, nIn, nOut, bias]) => [name, { nIn, nOut, bias }]),
  );
  // Every projection as x @ W (+ b): GPT-2's Conv1D weights are [in, out] already, nn.Linear's are transposed.
  const linear = (x: string, name: string) => {
    const { nIn, nOut, bias } = shapes.get(name)!;
    const w = weight(`${name}.weight`);
    const wIn = c.family === 'gpt2' ? w : transpose(w, nOut, nIn);
    const y = g.op('MatMul', [x, init(`${name}.weight`, [nIn, nOut], wIn)]);
    return bias ? g.op('Add', [y, init(`${name}.bias`, [nOut])]) : y;
  };
  const embed = init(embedName(c), [c.vocabSize, C]);
  const lmHeadT = () =>
    params['lm_head.weight']
      ? init('lm_head.weight', [C, c.vocabSize], transpose(weight('lm_head.weight'), c.vocabSize, C))
      : g.op('Transpose', [embed], { perm: { ints: [1, 0] } });

  if (c.family === 'gpt2') {
    const ln = (x: string, name: string) =>
      g.op('LayerNormalization', [x, init(`${name}.weight`, [C]), init(`${name}.bias`, [C])], {
        axis: { i: -1 },
        epsilon: { f: c.layerNormEpsilon },
      });
    return {
      embed: (ids, positions) =>
        g.op('Add', [
          g.op('Gather', [embed, ids], { axis: { i: 0 } }),
          g.op('Gather', [init('wpe.weight', [c.nPositions, C]), positions], { axis: { i: 0 } }),
        ]),
      attnInputs(x, i) {
        const qkv = linear(ln(x, `h.${i}.ln_1`), `h.${i}.attn.c_attn`); // (B, T, 3C)
        const parts = g.opN('Split', [qkv, i64(C, C, C)], 3, { axis: { i: 2 } });
        return parts.map((t) => toHeads(t, c.nHead)) as [string, string, string];
      },
      attnResidual: (x, y, i) => g.op('Add', [x, linear(y, `h.${i}.attn.c_proj`)]),
      mlpResidual(x, i) {
        const h = linear(ln(x, `h.${i}.ln_2`), `h.${i}.mlp.c_fc`);
        const a = g.op('Gelu', [h], { approximate: { s: 'tanh' } }); // (B, T, 4C)
        return g.op('Add', [x, linear(a, `h.${i}.mlp.c_proj`)]);
      },
      finalNorm: (x) => ln(x, 'ln_f'),
      lmHeadT,
    };
  }

  // Llama, Qwen2, Qwen3.
  const eps = g.float32(`rms_eps`, Float32Array.of(c.layerNormEpsilon), []);
  /** RMSNorm over the last axis (width n): x / √(mean(x²) + eps) · w. */
  const rms = (x: string, name: string, n = C) => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x]), i64(-1)], { keepdims: { i: 1 } });
    const normed = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [ms, eps])])]);
    return g.op('Mul', [normed, init(`${name}.weight`, [n])]);
  };
  // RoPE angles for the new tokens' position ids, shared by every layer: (B, 1, T, D) cos and signed sin.
  let rope: { cos: string; sinSigned: string } | null = null;
  const rotary = (positions: string) => {
    const inv = Float32Array.from(ropeInvFreq(c));
    const pos = g.op('Unsqueeze', [g.op('Cast', [positions], { to: { i: 1 } }), i64(-1)]); // (B, T, 1)
    const freq = g.op('Mul', [pos, g.float32('rope_inv_freq', inv, [inv.length])]); // (B, T, D/2)
    const [cos, sin] = [g.op('Cos', [freq]), g.op('Sin', [freq])];
    const heads = (t: string) => g.op('Unsqueeze', [t, i64(1)]); // (B, 1, T, D)
    rope = {
      cos: heads(g.op('Concat', [cos, cos], { axis: { i: -1 } })),
      sinSigned: heads(g.op('Concat', [g.op('Neg', [sin]), sin], { axis: { i: -1 } })),
    };
  };
  /** x·cos + rotate_half(x)·sin on (B, n, T, D). */
  const applyRope = (x: string) => {
    const half = c.headDim / 2;
    const [x1, x2] = g.opN('Split', [x, i64(half, half)], 2, { axis: { i: -1 } }) as [string, string];
    const swapped = g.op('Concat', [x2, x1], { axis: { i: -1 } });
    return g.op('Add', [g.op('Mul', [x, rope!.cos]), g.op('Mul', [swapped, rope!.sinSigned])]);
  };
  const layer = (i: number) => `model.layers.${i}`;
  return {
    embed(ids, positions) {
      rotary(positions);
      return g.op('Gather', [embed, ids], { axis: { i: 0 } });
    },
    attnInputs(x, i) {
      const l = layer(i);
      const a = rms(x, `${l}.input_layernorm`);
      const proj = (name: string, n: number) =>
        g.op('Reshape', [linear(a, `${l}.self_attn.${name}`), i64(0, 0, n, c.headDim)]); // (B, T, n, D)
      let q = proj('q_proj', c.nHead);
      let k = proj('k_proj', c.nKVHead);
      if (c.qkNorm) {
        q = rms(q, `${l}.self_attn.q_norm`, c.headDim);
        k = rms(k, `${l}.self_attn.k_norm`, c.headDim);
      }
      const first = (t: string) => g.op('Transpose', [t], { perm: { ints: [0, 2, 1, 3] } });
      return [applyRope(first(q)), applyRope(first(k)), first(proj('v_proj', c.nKVHead))];
    },
    attnResidual: (x, y, i) => g.op('Add', [x, linear(y, `${layer(i)}.self_attn.o_proj`)]),
    mlpResidual(x, i) {
      const m = `${layer(i)}.mlp`;
      const a = rms(x, `${layer(i)}.post_attention_layernorm`);
      const gate = linear(a, `${m}.gate_proj`);
      const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
      return g.op('Add', [x, linear(g.op('Mul', [silu, linear(a, `${m}.up_proj`)]), `${m}.down_proj`)]);
    },
    finalNorm: (x) => rms(x, 'model.norm'),
    lmHeadT,
  };
}

/** A row-major (rows, cols) matrix transposed. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = w[r * cols + k]!;
  return out;
}
