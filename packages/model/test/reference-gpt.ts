/**
 * An independent GPT-2 forward in plain float64 loops (no engine, no ONNX), for checking the model's logits.
 * Written straight from the GPT-2 definition: pre-LN, learned positions, tanh-GELU, causal attention, tied head.
 */
import type { GPTConfig } from '../src/config.js';

type P = Record<string, Float32Array>;

function ln(x: number[], g: Float32Array, b: Float32Array, eps: number): number[] {
  const n = x.length;
  const mu = x.reduce((a, v) => a + v, 0) / n;
  const varr = x.reduce((a, v) => a + (v - mu) ** 2, 0) / n;
  return x.map((v, i) => ((v - mu) / Math.sqrt(varr + eps)) * g[i]! + b[i]!);
}

function lin(x: number[], w: Float32Array, b: Float32Array, out: number): number[] {
  const y = Array.from(b.subarray(0, out), Number);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < out; j++) y[j]! += x[i]! * w[i * out + j]!;
  return y;
}

const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

/** Logits (T, V) for one unpadded sequence. */
export function referenceLogits(c: GPTConfig, p: P, ids: number[]): number[][] {
  const C = c.nEmbd;
  const H = c.nHead;
  const D = C / H;
  let x = ids.map((tok, t) =>
    [...Array(C)].map((_, i) => p['wte.weight']![tok * C + i]! + p['wpe.weight']![t * C + i]!),
  );
  for (let l = 0; l < c.nLayer; l++) {
    const h = `h.${l}`;
    const qkv = x.map((r) =>
      lin(
        ln(r, p[`${h}.ln_1.weight`]!, p[`${h}.ln_1.bias`]!, c.layerNormEpsilon),
        p[`${h}.attn.c_attn.weight`]!,
        p[`${h}.attn.c_attn.bias`]!,
        3 * C,
      ),
    );
    const att = x.map((_, t) => {
      const y = new Array(C).fill(0);
      for (let hh = 0; hh < H; hh++) {
        const s: number[] = [];
        for (let u = 0; u <= t; u++) {
          let d = 0;
          for (let k = 0; k < D; k++) d += qkv[t]![hh * D + k]! * qkv[u]![C + hh * D + k]!;
          s.push(d / Math.sqrt(D));
        }
        const m = Math.max(...s);
        const e = s.map((v) => Math.exp(v - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let u = 0; u <= t; u++)
          for (let k = 0; k < D; k++) y[hh * D + k] += (e[u]! / z) * qkv[u]![2 * C + hh * D + k]!;
      }
      return y;
    });
    x = x.map((r, t) => {
      const a = lin(att[t]!, p[`${h}.attn.c_proj.weight`]!, p[`${h}.attn.c_proj.bias`]!, C).map(
        (v, i) => v + r[i]!,
      );
      const f = lin(
        ln(a, p[`${h}.ln_2.weight`]!, p[`${h}.ln_2.bias`]!, c.layerNormEpsilon),
        p[`${h}.mlp.c_fc.weight`]!,
        p[`${h}.mlp.c_fc.bias`]!,
        4 * C,
      ).map(gelu);
      return lin(f, p[`${h}.mlp.c_proj.weight`]!, p[`${h}.mlp.c_proj.bias`]!, C).map((v, i) => v + a[i]!);
    });
  }
  return x.map((r) => {
    const hN = ln(r, p['ln_f.weight']!, p['ln_f.bias']!, c.layerNormEpsilon);
    return [...Array(c.vocabSize)].map((_, v) =>
      hN.reduce((a, hv, i) => a + hv * p['wte.weight']![v * C + i]!, 0),
    );
  });
}
