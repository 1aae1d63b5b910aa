/**
 * KV-cache generation as one ONNX program: a prefill over the left-padded prompts, then ONNX Loops that
 * feed one token per step, write its keys and values into the cache and sample the next token (the cache is
 * written in blocks: see the decode section).
 * The host makes one session.run per batch, so per-token host overhead is zero.
 */
import {
  add,
  and,
  concat,
  constant,
  equal,
  expand,
  gather,
  gelu,
  greaterEqual,
  type InputSpec,
  layerNorm,
  less,
  lessEqual,
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
  split,
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
      // Keys as (B, H, L, D), values transposed as (B, H, D, L): both are then the left operand of their
      // product with the one query, K @ qᵀ and Vᵀ @ pᵀ, which MLAS reads in place (as the right operand, in
      // q @ Kᵀ and p @ V, it packed the whole cache of every layer on every token).
      const caches = pre.kv.map(
        (t, k) =>
          k % 2 === 0
            ? padZeros(t, [0, 0, 0, 0], [0, 0, N - 1, 0]) // (B, H, L, D)
            : padZeros(transpose(t, [0, 1, 3, 2]), [0, 0, 0, 0], [0, 0, 0, N - 1]), // (B, H, D, L)
      );
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
      // The KV cache in blocks. A loop-carried tensor is a graph input of the Loop body, so ORT cannot update
      // it in place: writing one token's k and v into a (B, H, L, D) cache copied the whole cache, for every
      // layer and token (a third of a decode step). So a block of S tokens is written into small (B, H, S, D)
      // buffers carried by an inner loop, while the big cache, which holds the prompt and the finished blocks,
      // is only read; it takes each block in one write when the block ends. Attention spans both. With
      // S ≈ √L each token copies about 2S/L of the cache instead of all of it.
      const R = N - 1; // decode steps
      const S = Math.max(1, Math.min(R, Math.round(Math.sqrt(L))));
      const nBlocks = Math.floor(R / S);
      const rest = R - nBlocks * S;
      const scale = 1 / Math.sqrt(D);
      interface Decoded {
        state: Tensor[]; // token, position, done: (B) each
        blocks: Tensor[]; // per layer k and v of the block's tokens (B, H, steps, D)
        scans: Tensor[]; // tokens and logprobs (steps, B)
      }
      /** `steps` decode steps from global step t0, attending to big (K, Vᵀ per layer; masked by bigMask) and to the block. */
      const decodeBlock = (
        steps: number,
        t0: Tensor,
        state: Tensor[],
        big: Tensor[],
        bigMask: Tensor,
      ): Decoded => {
        const bigBias = mul(sub(1, reshape(bigMask, [B, 1, 1, L])), -1e9); // (B, 1, 1, L)
        const blockCols = constRange(steps);
        const empty = zeros([B, H, steps, D]);
        const res = loop(steps, [...state, ...big.map(() => empty)], (iter, carried) => {
          const [tok, pos, done, ...kv] = carried as [Tensor, Tensor, Tensor, ...Tensor[]];
          const at = reshape(equal(blockCols, iter), [1, 1, steps, 1]); // this token's block column
          // Block columns ≤ iter are written (this token's included).
          const blockBias = reshape(where(lessEqual(blockCols, iter), 0, -1e9), [1, 1, 1, steps]);
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
            // Column `iter` of the block buffers takes k and v: a broadcast select over the small buffer (a
            // scatter costs about as much per element written, and it writes B·H·D of them one by one).
            const Kb = where(at, k, kv[2 * i]!);
            const Vb = where(at, v, kv[2 * i + 1]!);
            newKv.push(Kb, Vb);
            const qCol = reshape(q, [B, H, D, 1]);
            const sBig = add(mul(reshape(matmul(big[2 * i]!, qCol), [B, H, 1, L]), scale), bigBias); // (B, H, 1, L)
            const sBlock = add(mul(matmul(q, transpose(Kb, [0, 1, 3, 2])), scale), blockBias); // (B, H, 1, steps)
            const [pBig, pBlock] = split(softmax(concat([sBig, sBlock], 3), -1), [L, steps], 3) as [
              Tensor,
              Tensor,
            ];
            const yBig = reshape(matmul(big[2 * i + 1]!, reshape(pBig, [B, H, L, 1])), [B, H, 1, D]);
            const y = add(yBig, matmul(pBlock, Vb)); // (B, H, 1, D)
            const merged = reshape(transpose(y, [0, 2, 1, 3]), [B, 1, c.nEmbd]);
            h = add(h, rowLinear(merged, wT[`h.${i}.attn.c_proj`]!, p[`h.${i}.attn.c_proj.bias`]!));
            // The MLP residual of gpt.ts's mlpResidual, with the row-count-friendly products.
            const m = layerNorm(h, p[`h.${i}.ln_2.weight`]!, p[`h.${i}.ln_2.bias`]!, c.layerNormEpsilon);
            const fc = gelu(rowLinear(m, wT[`h.${i}.mlp.c_fc`]!, p[`h.${i}.mlp.c_fc.bias`]!));
            h = add(h, rowLinear(fc, wT[`h.${i}.mlp.c_proj`]!, p[`h.${i}.mlp.c_proj.bias`]!));
          }
          h = layerNorm(h, p['ln_f.weight']!, p['ln_f.bias']!, c.layerNormEpsilon);
          const logits = reshape(rowLinear(h, p['wte.weight']!), [B, c.vocabSize]); // the tied LM head
          const t = add(add(t0, iter), 1); // uniforms row: row 0 sampled the first token
          const sampled = sampleTokens(logits, reshape(gather(u, t, 0), [B]), s);
          const token = where(done, eosTokenId, sampled.token);
          const logp = where(done, 0, sampled.logp);
          const nextDone = or(done, equal(token, eosTokenId));
          return { carried: [token, add(pos, 1), nextDone, ...newKv], scans: [token, logp] };
        });
        return { state: res.carried.slice(0, 3), blocks: res.carried.slice(3), scans: res.scans };
      };

      let state = [first.token, nextPos, done0];
      let big = caches;
      let bigMask = cacheMask;
      const scans: Tensor[][] = [[], []]; // tokens, logprobs: (steps, B) pieces in order
      if (nBlocks > 0) {
        const blocks = loop(nBlocks, [...state, bigMask, ...big], (j, carried) => {
          const [tok, pos, done, mask, ...cache] = carried as [Tensor, Tensor, Tensor, Tensor, ...Tensor[]];
          const t0 = mul(j, S);
          const d = decodeBlock(S, t0, [tok, pos, done], cache, mask);
          // The block's columns of the big cache are still zero: a scatter-add writes them.
          const col0 = add(t0, P);
          const blockCols = add(constRange(S), col0); // (S)
          const atK = expand(reshape(blockCols, [1, 1, S, 1]), [B, H, S, D]);
          const atV = expand(reshape(blockCols, [1, 1, 1, S]), [B, H, D, S]);
          const newCache = cache.map((t, k) =>
            k % 2 === 0
              ? scatterAdd(t, atK, d.blocks[k]!, 2)
              : scatterAdd(t, atV, transpose(d.blocks[k]!, [0, 1, 3, 2]), 3),
          );
          const inBlock = and(greaterEqual(cols, col0), less(cols, add(col0, S))); // (L)
          const newMask = where(reshape(inBlock, [1, L]), 1, mask);
          return { carried: [...d.state, newMask, ...newCache], scans: d.scans };
        });
        state = blocks.carried.slice(0, 3);
        bigMask = blocks.carried[3]!;
        big = blocks.carried.slice(4);
        blocks.scans.forEach((t, k) => {
          scans[k]!.push(reshape(t, [nBlocks * S, B]));
        });
      }
      if (rest > 0) {
        const d = decodeBlock(rest, constant([nBlocks * S], [], 'int64'), state, big, bigMask);
        d.scans.forEach((t, k) => {
          scans[k]!.push(t);
        });
      }
      const [tokSteps, logpSteps] = scans.map((parts) => concat(parts, 0)) as [Tensor, Tensor]; // (N − 1, B)
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
