/**
 * KV-cache generation as one ONNX program: a prefill over the left-padded prompts, then an ONNX Loop that
 * feeds one token per step, writes its keys and values into fixed-size caches and samples the next token.
 * The host makes one session.run per batch, so per-token host overhead is zero.
 */
import {
  add,
  concat,
  constant,
  equal,
  expand,
  gather,
  gelu,
  type InputSpec,
  layerNorm,
  loop,
  matmul,
  mul,
  or,
  Program,
  padZeros,
  type RuntimeOptions,
  reshape,
  scatterAdd,
  slice,
  softmax,
  sub,
  type Tensor,
  transpose,
  where,
  zeros,
} from '@rlhfkit/engine';
import type { GPTConfig } from './config.js';
import { forwardHidden, lmLogits, type Params, qkvHeads } from './gpt.js';
import { paramShapes } from './param-shapes.js';
import { type SamplingConfig, sampleTokens } from './sampling.js';

export interface GenerateShape {
  batch: number;
  /** Prompt length after left padding. */
  promptLen: number;
  maxNewTokens: number;
}

/**
 * Compile the generation program. Inputs: every backbone parameter, ids/positions (B, P) int64, mask (B, P),
 * uniforms (N, B). Outputs: tokens (B, N) int64 and logprobs (B, N); after EOS a row repeats EOS with logp 0.
 */
export function compileGenerate(
  c: GPTConfig,
  shape: GenerateShape,
  s: SamplingConfig,
  eosTokenId: number,
  runtime: RuntimeOptions = {},
): Program {
  const { batch: B, promptLen: P, maxNewTokens: N } = shape;
  const L = P + N - 1; // cache columns: the prompt, then every fed token but the last sampled
  const H = c.nHead;
  const D = c.nEmbd / H;
  const specs: Record<string, InputSpec> = {
    ids: { shape: [B, P], dtype: 'int64' },
    positions: { shape: [B, P], dtype: 'int64' },
    mask: { shape: [B, P] },
    uniforms: { shape: [N, B] },
  };
  const shapes = paramShapes(c);
  for (const [k, v] of Object.entries(shapes)) specs[`p/${k}`] = { shape: v };

  return Program.compile(
    specs,
    (x) => {
      const p: Params = Object.fromEntries(Object.keys(shapes).map((k) => [k, x[`p/${k}`]!]));
      const u = x['uniforms']!;
      // 1. Prefill: hidden states and per-layer (k, v) for the prompt.
      const pre = forwardHidden(p, c, { ids: x['ids']!, positions: x['positions']!, mask: x['mask']! });
      const last = reshape(slice(pre.hidden, [P - 1], [P], [1]), [B, c.nEmbd]); // (B, C)
      const first = sampleTokens(reshape(lmLogits(last, p), [B, c.vocabSize]), row(u, 0, B), s);
      const done0 = equal(first.token, eosTokenId);
      if (N === 1) return { tokens: reshape(first.token, [B, 1]), logprobs: reshape(first.logp, [B, 1]) };

      // 2. Decode loop over N − 1 more tokens.
      const caches = pre.kv.map((t) => padZeros(t, [0, 0, 0, 0], [0, 0, N - 1, 0])); // (B, H, L, D)
      const cacheMask = concat([x['mask']!, zeros([B, N - 1])], 1); // (B, L)
      const nextPos = add(reduceLast(x['positions']!), 1); // (B)
      const cols = constRange(L); // (L)
      // A decode step multiplies B rows by each weight matrix. MLAS packs the right-hand operand of every
      // product, so x @ W repacked the whole of W on every token; written as (Wᵀ @ xᵀ)ᵀ, W is the left operand,
      // read in place, and only the B columns of xᵀ are packed. The weights are transposed once per run, here,
      // outside the loop (wte (V, C) is already Wᵀ of the LM head). About 1.5-2x faster per product at B ≤ 16.
      const wT: Record<string, Tensor> = {};
      for (let i = 0; i < c.nLayer; i++) {
        for (const w of ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']) {
          wT[`h.${i}.${w}`] = transpose(p[`h.${i}.${w}.weight`]!, [1, 0]);
        }
      }
      /** x (B, 1, Cin) @ W + b as (Wᵀ @ xᵀ)ᵀ + b, with Wᵀ (Cout, Cin) from wT or wte. */
      const rowLinear = (x: Tensor, wt: Tensor, bias?: Tensor): Tensor => {
        const yT = matmul(wt, transpose(reshape(x, [B, wt.shape[1]!]), [1, 0])); // (Cout, B)
        const y = reshape(transpose(yT, [1, 0]), [B, 1, wt.shape[0]!]);
        return bias ? add(y, bias) : y;
      };
      const res = loop(N - 1, [first.token, nextPos, done0, cacheMask, ...caches], (iter, carried) => {
        const [tok, pos, done, mask, ...kv] = carried as [Tensor, Tensor, Tensor, Tensor, ...Tensor[]];
        const col = add(iter, P); // the cache column this token is written to
        const hit = equal(cols, col); // (L) bool
        const newMask = where(reshape(hit, [1, L]), 1, mask); // (B, L)
        const colIndex = expand(reshape(col, [1, 1, 1, 1]), [B, H, 1, D]); // (B, H, 1, D) int64
        let h = reshape(add(gather(p['wte.weight']!, tok, 0), gather(p['wpe.weight']!, pos, 0)), [
          B,
          1,
          c.nEmbd,
        ]);
        const newKv: Tensor[] = [];
        for (let i = 0; i < c.nLayer; i++) {
          const a = layerNorm(h, p[`h.${i}.ln_1.weight`]!, p[`h.${i}.ln_1.bias`]!, c.layerNormEpsilon);
          const qkv = rowLinear(a, wT[`h.${i}.attn.c_attn`]!, p[`h.${i}.attn.c_attn.bias`]!);
          const [q, k, v] = qkvHeads(qkv, c); // (B, H, 1, D)
          // Write this token's k and v into cache column `col`. That column is still zero (caches start as
          // zeros past the prompt), so a scatter-add is a write, and it costs one copy of the cache instead of
          // a broadcast select over all of it.
          const K = scatterAdd(kv[2 * i]!, colIndex, k, 2);
          const V = scatterAdd(kv[2 * i + 1]!, colIndex, v, 2);
          newKv.push(K, V);
          const scores = mul(matmul(q, transpose(K, [0, 1, 3, 2])), 1 / Math.sqrt(D)); // (B, H, 1, L)
          const bias = mul(sub(1, reshape(newMask, [B, 1, 1, L])), -1e9);
          const y = matmul(softmax(add(scores, bias), -1), V); // (B, H, 1, D)
          const merged = reshape(transpose(y, [0, 2, 1, 3]), [B, 1, c.nEmbd]);
          h = add(h, rowLinear(merged, wT[`h.${i}.attn.c_proj`]!, p[`h.${i}.attn.c_proj.bias`]!));
          // The MLP residual of gpt.ts's mlpResidual, with the row-count-friendly products.
          const m = layerNorm(h, p[`h.${i}.ln_2.weight`]!, p[`h.${i}.ln_2.bias`]!, c.layerNormEpsilon);
          const fc = gelu(rowLinear(m, wT[`h.${i}.mlp.c_fc`]!, p[`h.${i}.mlp.c_fc.bias`]!));
          h = add(h, rowLinear(fc, wT[`h.${i}.mlp.c_proj`]!, p[`h.${i}.mlp.c_proj.bias`]!));
        }
        h = layerNorm(h, p['ln_f.weight']!, p['ln_f.bias']!, c.layerNormEpsilon);
        const logits = reshape(rowLinear(h, p['wte.weight']!), [B, c.vocabSize]); // the tied LM head
        const sampled = sampleTokens(logits, reshape(gather(u, add(iter, 1), 0), [B]), s);
        const token = where(done, eosTokenId, sampled.token);
        const logp = where(done, 0, sampled.logp);
        const nextDone = or(done, equal(token, eosTokenId));
        return { carried: [token, add(pos, 1), nextDone, newMask, ...newKv], scans: [token, logp] };
      });
      const [tokSteps, logpSteps] = res.scans as [Tensor, Tensor]; // (N − 1, B)
      return {
        tokens: concat([reshape(first.token, [B, 1]), transpose(tokSteps, [1, 0])], 1),
        logprobs: concat([reshape(first.logp, [B, 1]), transpose(logpSteps, [1, 0])], 1),
      };
    },
    runtime,
  );
}

/** Row i of (N, B) as (B). */
const row = (u: Tensor, i: number, B: number) => reshape(slice(u, [i], [i + 1], [0]), [B]);

/** The last column of (B, P) as (B). */
const reduceLast = (t: Tensor) => {
  const [B, P] = t.shape as [number, number];
  return reshape(slice(t, [P - 1], [P], [1]), [B]);
};

/** 0..n-1 as an int64 constant (shapes are static, so it is built on the host). */
const constRange = (n: number): Tensor =>
  constant(
    Array.from({ length: n }, (_, i) => i),
    [n],
    'int64',
  );
