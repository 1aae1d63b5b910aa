/**
 * KV-cache generation as one ONNX program: a prefill over the left-padded prompts, then a few ONNX Loops,
 * one per block of decode steps, that feed one token per step, keep its keys and values and sample the next
 * token; the KV cache grows by a block at a time (see the decode section).
 * The host makes one session.run per batch, so per-token host overhead is zero.
 */
import {
  add,
  concat,
  constant,
  equal,
  full,
  gather,
  type InputSpec,
  lessEqual,
  loop,
  matmul,
  mul,
  or,
  Program,
  type RuntimeOptions,
  reshape,
  scatterND,
  slice,
  softmax,
  split,
  sub,
  type Tensor,
  transpose,
  where,
  zeros,
} from '@rlhfkit/engine';
import type { ModelConfig } from './config.js';
import type { Linear, Params } from './decoder.js';
import { decoder, forwardHidden, lmHeadWeight, lmLogits } from './forward.js';
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
 * uniforms (N, B). Outputs: tokens (B, N) int64 and logprobs (B, N). A row stops at any of the eos ids; after
 * it the row repeats the first eos id with logp 0.
 */
export function compileGenerate(
  c: ModelConfig,
  shape: GenerateShape,
  s: SamplingConfig,
  eosTokenIds: number | readonly number[],
  runtime: RuntimeOptions = {},
): Program {
  const { batch: B, promptLen: P, maxNewTokens: N } = shape;
  const eos = typeof eosTokenIds === 'number' ? [eosTokenIds] : [...eosTokenIds];
  const L = P + N - 1; // cache columns: the prompt, then every fed token but the last sampled
  const H = c.nHead;
  const Hkv = c.nKVHead;
  const G = H / Hkv; // query heads per key/value head
  const D = c.headDim;
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
      const dec = decoder(c, p);
      const u = x['uniforms']!;
      /** Whether a token (B) int64 is one of the end-of-sequence ids. */
      const isEos = (t: Tensor) => eos.map((id) => equal(t, id)).reduce((a, b) => or(a, b));
      // 1. Prefill: hidden states and per-layer (k, v) for the prompt.
      const pre = forwardHidden(p, c, { ids: x['ids']!, positions: x['positions']!, mask: x['mask']! });
      const last = reshape(slice(pre.hidden, [P - 1], [P], [1]), [B, c.nEmbd]); // (B, C)
      const first = sampleTokens(lmLogits(last, p, c), row(u, 0, B), s);
      const done0 = isEos(first.token);
      if (N === 1) return { tokens: reshape(first.token, [B, 1]), logprobs: reshape(first.logp, [B, 1]) };

      // 2. Decode N − 1 more tokens.
      const nextPos = add(reduceLast(x['positions']!), 1); // (B)
      // A decode step multiplies B rows by each weight matrix. MLAS packs the right-hand operand of every
      // product, so x @ W repacked the whole of W on every token; written as (Wᵀ @ xᵀ)ᵀ, W is the left operand,
      // read in place, and only the B columns of xᵀ are packed. The left operand is the weight as [out, in]:
      // nn.Linear's layout as stored (Llama family), or GPT-2's Conv1D weights transposed once per run, here,
      // outside the loop. The LM head (V, C) is already [out, in].
      const wOutIn: Record<string, Tensor> = {};
      for (const name of dec.projections) {
        const w = p[`${name}.weight`]!;
        wOutIn[name] = dec.layout === 'out-in' ? w : transpose(w, [1, 0]);
      }
      const head = lmHeadWeight(p, c);
      /** x (B, Cin) @ W as (W[out, in] @ xᵀ)ᵀ. (B, Cout) */
      const rowProduct = (x: Tensor, wt: Tensor): Tensor =>
        transpose(matmul(wt, transpose(x, [1, 0])), [1, 0]);
      /** The projection `name` of a decode step: x (B, Cin) W + b through rowProduct. */
      const rowLinear: Linear = (x, name) => {
        const y = rowProduct(x, wOutIn[name]!);
        const b = p[`${name}.bias`];
        return b ? add(y, b) : y;
      };
      // The KV cache in blocks. A loop-carried tensor is a graph input of the Loop body, so ORT cannot update
      // it in place: writing one token's k and v into a loop-carried cache copied the whole cache, for every
      // layer and token. So the decode steps run in blocks of about √L tokens, each block one Loop whose
      // tokens go into small (B, Hkv, steps, D) buffers it carries, while the cache of everything before the
      // block (the prompt and the earlier blocks) is a plain tensor of the program: only read, and only as
      // long as it is so far (a fixed-size cache would be read in full, zeros included, by every token). After
      // a block, the cache grows by the block's buffers in one Concat. Attention spans the cache and the block.
      // Keys are kept as (B, Hkv, n, D) and values transposed as (B, Hkv, D, n): both are then the left
      // operand of their product with the queries, K @ qᵀ and Vᵀ @ pᵀ, which MLAS reads in place (as right
      // operands, in q @ Kᵀ and p @ V, they were packed per layer and token). The cache holds only the Hkv
      // key/value heads; the G query heads of a group are the G columns of qᵀ.
      const R = N - 1; // decode steps
      // Blocks of about 1.5·√L steps: smaller blocks copy less per token, but each block is a Loop body of its
      // own in the program, and more of them make the session slower to create (tiny: 10 blocks of 11 took
      // 0.57 s to load, 7 of 16 took 0.47 s, at a few percent more per token; one fixed-size loop took 0.11 s).
      const nBlocks = Math.max(1, Math.round(R / Math.max(1, Math.round(1.5 * Math.sqrt(L)))));
      const blockSizes = Array.from(
        { length: nBlocks },
        (_, j) => Math.floor(R / nBlocks) + (j < R % nBlocks ? 1 : 0),
      );
      const scale = 1 / Math.sqrt(D);
      interface Decoded {
        state: Tensor[]; // token, position, done: (B) each
        blocks: Tensor[]; // per layer k and v of the block's tokens (B, Hkv, steps, D)
        scans: Tensor[]; // tokens and logprobs (steps, B)
      }
      /** `steps` decode steps from step t0 (0-based), attending to the cache (K, Vᵀ per layer) and the block. */
      const decodeBlock = (
        steps: number,
        t0: number,
        state: Tensor[],
        cache: Tensor[],
        cacheMask: Tensor,
      ): Decoded => {
        const n = cacheMask.shape[1]!;
        const cacheBias = mul(sub(1, reshape(cacheMask, [B, 1, 1, n])), -1e9); // (B, 1, 1, n)
        const blockCols = constant(
          Array.from({ length: steps }, (_, j) => j),
          [steps],
          'int64',
        );
        // (b, h, 0) for every row and key/value head: ScatterND index tuples, the block column added per step.
        const rowsHeads = constant(
          Array.from({ length: B * Hkv }, (_, r) => [Math.floor(r / Hkv), r % Hkv, 0]).flat(),
          [B, Hkv, 1, 3],
          'int64',
        );
        const columnOnly = constant([0, 0, 1], [3], 'int64');
        const empty = zeros([B, Hkv, steps, D]);
        const res = loop(steps, [...state, ...cache.map(() => empty)], (iter, carried) => {
          const [tok, pos, done, ...kv] = carried as [Tensor, Tensor, Tensor, ...Tensor[]];
          // Block columns ≤ iter are written (this token's included).
          const blockBias = reshape(where(lessEqual(blockCols, iter), 0, -1e9), [1, 1, 1, steps]);
          const at = add(rowsHeads, mul(iter, columnOnly)); // (B, Hkv, 1, 3): (b, h, iter)
          // A decode step keeps one row per sequence, (B, C), and views it as heads only for attention:
          // with one token, (B, C) and (B, H, D) are the same memory, so no transpose is needed around the
          // products (each such kernel took a few microseconds, per layer and token).
          let h = dec.embed(tok, pos); // (B, C)
          const rot = dec.rotary(pos); // (B, 1, D)
          const newKv: Tensor[] = [];
          for (let i = 0; i < c.nLayer; i++) {
            const [q, k, v] = dec.attnInputs(h, i, rowLinear, rot); // (B, H, D), (B, Hkv, D) ×2
            // Column `iter` of the block buffers takes k and v: ScatterND copies the buffer once and writes
            // B·Hkv rows of D (a broadcast Where read and wrote the whole buffer twice over, twice as slow;
            // shifting the buffer by a Slice and a Concat copied it twice).
            const write = (buf: Tensor, t: Tensor) => scatterND(buf, at, reshape(t, [B, Hkv, 1, D]));
            const Kb = write(kv[2 * i]!, k);
            const Vb = write(kv[2 * i + 1]!, v);
            newKv.push(Kb, Vb);
            const qs = reshape(mul(q, scale), [B, Hkv, G, D]); // scaled once for both score products
            const sCache = add(swapLast(matmul(cache[2 * i]!, swapLast(qs))), cacheBias); // (B, Hkv, G, n)
            const sBlock = add(matmul(qs, transpose(Kb, [0, 1, 3, 2])), blockBias); // (B, Hkv, G, steps)
            const [pCache, pBlock] = split(softmax(concat([sCache, sBlock], 3), -1), [n, steps], 3) as [
              Tensor,
              Tensor,
            ];
            const yCache = swapLast(matmul(cache[2 * i + 1]!, swapLast(pCache))); // (B, Hkv, G, D)
            const y = reshape(add(yCache, matmul(pBlock, Vb)), [B, H * D]); // (B, H·D)
            h = dec.mlpResidual(dec.attnResidual(h, y, i, rowLinear), i, rowLinear);
          }
          const logits = rowProduct(dec.finalNorm(h), head); // (B, V)
          const t = add(iter, t0 + 1); // uniforms row: row 0 sampled the first token
          const sampled = sampleTokens(logits, reshape(gather(u, t, 0), [B]), s);
          const token = where(done, eos[0]!, sampled.token);
          const logp = where(done, 0, sampled.logp);
          const nextDone = or(done, isEos(token));
          return { carried: [token, add(pos, 1), nextDone, ...newKv], scans: [token, logp] };
        });
        return { state: res.carried.slice(0, 3), blocks: res.carried.slice(3), scans: res.scans };
      };

      let state = [first.token, nextPos, done0];
      let cache = pre.kv.map((t, k) => (k % 2 === 0 ? t : transpose(t, [0, 1, 3, 2]))); // (B, Hkv, P, D), (B, Hkv, D, P)
      let cacheMask = x['mask']!; // (B, P)
      const scans: Tensor[][] = [[], []]; // tokens, logprobs: (steps, B) pieces in order
      let t0 = 0;
      for (const steps of blockSizes) {
        const d = decodeBlock(steps, t0, state, cache, cacheMask);
        state = d.state;
        d.scans.forEach((t, k) => {
          scans[k]!.push(t);
        });
        t0 += steps;
        if (t0 < R) {
          cache = cache.map((t, k) =>
            k % 2 === 0
              ? concat([t, d.blocks[k]!], 2)
              : concat([t, transpose(d.blocks[k]!, [0, 1, 3, 2])], 3),
          );
          cacheMask = concat([cacheMask, full([B, steps], 1)], 1);
        }
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

/**
 * The last two axes swapped. When one of them is 1 (every GPT-2 and MHA step, where a group holds one query
 * head) that is a reshape, which costs nothing; otherwise a Transpose of a small (…, G, n) or (…, D, G) tensor.
 */
function swapLast(t: Tensor): Tensor {
  const r = t.rank;
  const [a, b] = [t.shape[r - 2]!, t.shape[r - 1]!];
  if (a === 1 || b === 1) return reshape(t, [...t.shape.slice(0, -2), b, a]);
  return transpose(t, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
}

/** Row i of (N, B) as (B). */
const row = (u: Tensor, i: number, B: number) => reshape(slice(u, [i], [i + 1], [0]), [B]);

/** The last column of (B, P) as (B). */
const reduceLast = (t: Tensor) => {
  const [B, P] = t.shape as [number, number];
  return reshape(slice(t, [P - 1], [P], [1]), [B]);
};
