/**
 * ONNX export of the decoder of every family (GPT-2, Llama, Qwen2, Qwen3) with a KV cache, in the layout
 * transformers.js (4.3.1) runs for model_type gpt2, llama, qwen2 and qwen3 (AutoModelForCausalLM,
 * pipeline('text-generation')). The graph is written by hand (onnx-graph-builder.ts) because its sequence and
 * cache lengths are dynamic: the skeleton (inputs, mask, KV cache, attention, LM head) here, each family's
 * embedding, norms, projections and MLP in onnx-families.ts.
 *
 * Decoder contract, as transformers.js' decoder_forward / addPastKeyValues / getPastKeyValues use it
 * (src/models/modeling_utils.js, configs.js, cache_utils.js):
 *   inputs   input_ids       int64 [batch_size, sequence_length]
 *            attention_mask  int64 [batch_size, total_sequence_length]  (1 real, 0 padding; int64, not bool)
 *            position_ids    int64 [batch_size, sequence_length]  (fed because the session declares it:
 *                            cumsum(mask) - 1, with padding set to 1, sliced to the new tokens)
 *            past_key_values.{i}.key / .value  float32 [batch_size, kv_heads, past_sequence_length, head_dim]
 *   outputs  logits          float32 [batch_size, sequence_length, vocab_size]
 *            present.{i}.key / .value  float32 [batch_size, kv_heads, total_sequence_length, head_dim]
 * The cache holds the key/value heads only (num_key_value_heads; GPT-2: n_head); attention repeats each for
 * its group of query heads, as HF's repeat_kv. Keys are cached after RoPE.
 * On the first step transformers.js makes the empty past itself from the session's input metadata: named
 * dims resolve through { batch_size } and every other name to 0, fixed numbers pass through; hence the
 * batch dim must be named "batch_size" and kv_heads / head_dim must be numbers. Renaming present.* to
 * past_key_values.* is by string replace. No use_cache_branch input (only optimum's merged decoders have it,
 * and it is fed only when declared) and no num_logits_to_keep (optional: when absent every position's
 * logits come back and generate() takes the last).
 *
 * Query t of the new tokens sits at absolute index past + t and may attend key j when j <= past + t and
 * attention_mask[b, j] = 1. Masked scores are set to -1e9 (not -inf), as the engine's causalAttention does,
 * so fully masked rows (left padding) stay finite.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '@rlhfkit/io';
import type { CausalLM } from './causal-lm.js';
import type { GPTConfig } from './config.js';
import type { HostParams } from './decoder.js';
import { toHFConfig, toHFGenerationConfig } from './hf-config.js';
import { onnxFamily } from './onnx-families.js';
import { assertFitsOneFile, Elem, OnnxGraphBuilder } from './onnx-graph-builder.js';
import { paramShapes } from './param-shapes.js';
import type { Tokenizer } from './tokenizer.js';

const B = 'batch_size';
const T = 'sequence_length';
const P = 'past_sequence_length';
const TK = 'total_sequence_length';

/** Build the decoder graph of a model (weights as initializers) and serialise it. */
export function buildOnnxDecoder(c: GPTConfig, params: HostParams): Uint8Array {
  const sizes = Object.values(paramShapes(c)).map((s) => s.reduce((a, b) => a * b, 1));
  assertFitsOneFile(4 * sizes.reduce((a, b) => a + b, 0)); // before any work: float32 weights
  const g = new OnnxGraphBuilder(`${c.family}_decoder`);
  const [H, Hkv, D] = [c.nHead, c.nKVHead, c.headDim];
  const G = H / Hkv;
  const i64 = (...v: number[]) => g.int64(v);

  // 1. Inputs.
  const ids = g.input('input_ids', Elem.int64, [B, T]);
  const mask = g.input('attention_mask', Elem.int64, [B, TK]);
  const positions = g.input('position_ids', Elem.int64, [B, T]);
  const past: [string, string][] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const kv = ['key', 'value'].map((s) =>
      g.input(`past_key_values.${i}.${s}`, Elem.float32, [B, Hkv, P, D]),
    );
    past.push([kv[0]!, kv[1]!]);
  }

  // 2. The attention mask, shared by every layer: allowed[b, 0, t, j] = (j <= past + t) and mask[b, j].
  const scalar = (v: number) => g.int64([v], true);
  const dimOf = (x: string, axis: number) =>
    g.op('Gather', [g.op('Shape', [x]), scalar(axis)], { axis: { i: 0 } });
  const pastLen = dimOf(past[0]![0], 2); // ()
  const total = g.op('Add', [pastLen, dimOf(ids, 1)]); // ()
  const queryPos = g.op('Unsqueeze', [g.op('Range', [pastLen, total, scalar(1)]), i64(1)]); // (T, 1)
  const keyPos = g.op('Range', [scalar(0), total, scalar(1)]); // (TK)
  const causal = g.op('LessOrEqual', [keyPos, queryPos]); // (T, TK)
  const keep = g.op('Unsqueeze', [g.op('Cast', [mask], { to: { i: Elem.bool } }), i64(1, 2)]); // (B, 1, 1, TK)
  const allowed = g.op('And', [causal, keep]); // (B, 1, T, TK)
  const scale = g.float32('attn_scale', Float32Array.of(1 / Math.sqrt(D)), []);
  const masked = g.float32('attn_masked_score', Float32Array.of(-1e9), []);
  /** (B, Hkv, TK, D) → (B, H, TK, D): each key/value head repeated for the G query heads of its group. */
  const repeat = (t: string) =>
    G === 1
      ? t
      : g.op('Reshape', [
          g.op('Expand', [g.op('Unsqueeze', [t, i64(2)]), i64(1, 1, G, 1, 1)]),
          i64(0, H, -1, D),
        ]);

  // 3. Embeddings and blocks.
  const fam = onnxFamily(g, c, params);
  let x = fam.embed(ids, positions); // (B, T, C)
  for (let i = 0; i < c.nLayer; i++) {
    const [q, k, v] = fam.attnInputs(x, i); // (B, H, T, D), (B, Hkv, T, D) ×2
    const [pastK, pastV] = past[i]!;
    const keys = g.op('Concat', [pastK, k], { axis: { i: 2 } }, `present.${i}.key`); // (B, Hkv, TK, D)
    const values = g.op('Concat', [pastV, v], { axis: { i: 2 } }, `present.${i}.value`); // (B, Hkv, TK, D)
    g.output(keys, Elem.float32, [B, Hkv, TK, D]);
    g.output(values, Elem.float32, [B, Hkv, TK, D]);
    const keysT = g.op('Transpose', [repeat(keys)], { perm: { ints: [0, 1, 3, 2] } }); // (B, H, D, TK)
    const scores = g.op('Mul', [g.op('MatMul', [q, keysT]), scale]); // (B, H, T, TK)
    const probs = g.op('Softmax', [g.op('Where', [allowed, scores, masked])], { axis: { i: -1 } });
    const y = g.op('MatMul', [probs, repeat(values)]); // (B, H, T, D)
    const merged = g.op('Reshape', [
      g.op('Transpose', [y], { perm: { ints: [0, 2, 1, 3] } }),
      i64(0, 0, H * D),
    ]);
    x = fam.mlpResidual(fam.attnResidual(x, merged, i), i); // (B, T, C)
  }

  // 4. LM head: the final norm, then the tied embedding or lm_head.weight.
  g.op('MatMul', [fam.finalNorm(x), fam.lmHeadT()], {}, 'logits'); // (B, T, V)
  g.output('logits', Elem.float32, [B, T, c.vocabSize]);
  return g.encode();
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Write a transformers.js model directory: onnx/model.onnx, config.json, generation_config.json and, when a
 * tokenizer is given, tokenizer.json + tokenizer_config.json (pipeline('text-generation') needs them;
 * AutoModelForCausalLM alone does not). Files are written one by one, atomically, so exporting into a
 * checkpoint directory adds the export and keeps model.safetensors.
 */
export async function exportOnnx(lm: CausalLM, dir: string, tokenizer?: Tokenizer): Promise<void> {
  const c = lm.config;
  if (tokenizer && tokenizer.vocabSize > c.vocabSize) {
    throw new Error(
      `ONNX export: the tokenizer has ${tokenizer.vocabSize} tokens, the model only ${c.vocabSize}`,
    );
  }
  const model = buildOnnxDecoder(c, lm.params);
  await writeFileAtomic(join(dir, 'onnx', 'model.onnx'), model);
  // transformers.js_config.dtype: load onnx/model.onnx (fp32, no file suffix) on every device, including
  // wasm, whose default would be the _quantized file.
  await writeFileAtomic(
    join(dir, 'config.json'),
    json({ ...toHFConfig(c), 'transformers.js_config': { dtype: 'fp32' } }),
  );
  await writeFileAtomic(join(dir, 'generation_config.json'), json(toHFGenerationConfig(c)));
  if (tokenizer) await tokenizer.save(dir);
}
