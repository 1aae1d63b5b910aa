/**
 * ONNX export of the GPT-2 decoder with a KV cache, in the layout transformers.js (4.3.1) runs for
 * model_type "gpt2" (AutoModelForCausalLM, pipeline('text-generation')). The graph is written by hand
 * (onnx-graph-builder.ts) because its sequence and cache lengths are dynamic.
 *
 * Decoder contract, as transformers.js' decoder_forward / addPastKeyValues / getPastKeyValues use it
 * (src/models/modeling_utils.js, configs.js, cache_utils.js):
 *   inputs   input_ids       int64 [batch_size, sequence_length]
 *            attention_mask  int64 [batch_size, total_sequence_length]  (1 real, 0 padding; int64, not bool)
 *            position_ids    int64 [batch_size, sequence_length]  (fed because the session declares it:
 *                            cumsum(mask) - 1, with padding set to 1, sliced to the new tokens)
 *            past_key_values.{i}.key / .value  float32 [batch_size, n_head, past_sequence_length, head_dim]
 *   outputs  logits          float32 [batch_size, sequence_length, vocab_size]
 *            present.{i}.key / .value  float32 [batch_size, n_head, total_sequence_length, head_dim]
 * On the first step transformers.js makes the empty past itself from the session's input metadata: named
 * dims resolve through { batch_size } and every other name to 0, fixed numbers pass through; hence the
 * batch dim must be named "batch_size" and n_head / head_dim must be numbers. Renaming present.* to
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
import { assertFitsOneFile, Elem, OnnxGraphBuilder } from './onnx-graph-builder.js';
import { paramShapes } from './param-shapes.js';
import type { Tokenizer } from './tokenizer.js';

const B = 'batch_size';
const T = 'sequence_length';
const P = 'past_sequence_length';
const TK = 'total_sequence_length';

/** Build the decoder graph of a GPT-2 model (weights as initializers) and serialise it. */
export function buildOnnxDecoder(c: GPTConfig, params: HostParams): Uint8Array {
  if (c.family !== 'gpt2' || !c.tieWordEmbeddings)
    throw new Error(`ONNX export: only GPT-2 with a tied LM head is exported so far (this is ${c.family})`);
  const sizes = Object.values(paramShapes(c)).map((s) => s.reduce((a, b) => a * b, 1));
  assertFitsOneFile(4 * sizes.reduce((a, b) => a + b, 0)); // before any work: float32 weights
  const g = new OnnxGraphBuilder('gpt2_decoder');
  const C = c.nEmbd;
  const H = c.nHead;
  const D = C / H;
  const w = (name: string, dims: number[]) => {
    const data = params[name];
    if (!data) throw new Error(`ONNX export: missing parameter '${name}'`);
    return g.float32(name, data, dims);
  };
  const i64 = (...v: number[]) => g.int64(v);
  const linear = (x: string, name: string, nIn: number, nOut: number) =>
    g.op('Add', [g.op('MatMul', [x, w(`${name}.weight`, [nIn, nOut])]), w(`${name}.bias`, [nOut])]);
  const layerNorm = (x: string, name: string) =>
    g.op('LayerNormalization', [x, w(`${name}.weight`, [C]), w(`${name}.bias`, [C])], {
      axis: { i: -1 },
      epsilon: { f: c.layerNormEpsilon },
    });

  // 1. Inputs.
  const ids = g.input('input_ids', Elem.int64, [B, T]);
  const mask = g.input('attention_mask', Elem.int64, [B, TK]);
  const positions = g.input('position_ids', Elem.int64, [B, T]);
  const past: [string, string][] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const kv = ['key', 'value'].map((s) => g.input(`past_key_values.${i}.${s}`, Elem.float32, [B, H, P, D]));
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

  // 3. Embeddings.
  let x = g.op('Add', [
    g.op('Gather', [w('wte.weight', [c.vocabSize, C]), ids], { axis: { i: 0 } }),
    g.op('Gather', [w('wpe.weight', [c.nPositions, C]), positions], { axis: { i: 0 } }),
  ]); // (B, T, C)

  // 4. Blocks.
  const toHeads = (t: string) =>
    g.op('Transpose', [g.op('Reshape', [t, i64(0, 0, H, D)])], { perm: { ints: [0, 2, 1, 3] } });
  for (let i = 0; i < c.nLayer; i++) {
    const h = `h.${i}`;
    const qkv = linear(layerNorm(x, `${h}.ln_1`), `${h}.attn.c_attn`, C, 3 * C); // (B, T, 3C)
    const [q, k, v] = g.opN('Split', [qkv, i64(C, C, C)], 3, { axis: { i: 2 } }).map(toHeads); // (B, H, T, D)
    const [pastK, pastV] = past[i]!;
    const keys = g.op('Concat', [pastK, k!], { axis: { i: 2 } }, `present.${i}.key`); // (B, H, TK, D)
    const values = g.op('Concat', [pastV, v!], { axis: { i: 2 } }, `present.${i}.value`); // (B, H, TK, D)
    g.output(keys, Elem.float32, [B, H, TK, D]);
    g.output(values, Elem.float32, [B, H, TK, D]);
    const keysT = g.op('Transpose', [keys], { perm: { ints: [0, 1, 3, 2] } }); // (B, H, D, TK)
    const scores = g.op('Mul', [g.op('MatMul', [q!, keysT]), scale]); // (B, H, T, TK)
    const probs = g.op('Softmax', [g.op('Where', [allowed, scores, masked])], { axis: { i: -1 } });
    const y = g.op('MatMul', [probs, values]); // (B, H, T, D)
    const merged = g.op('Reshape', [g.op('Transpose', [y], { perm: { ints: [0, 2, 1, 3] } }), i64(0, 0, C)]); // (B, T, C)
    x = g.op('Add', [x, linear(merged, `${h}.attn.c_proj`, C, C)]);
    const a = g.op('Gelu', [linear(layerNorm(x, `${h}.ln_2`), `${h}.mlp.c_fc`, C, 4 * C)], {
      approximate: { s: 'tanh' },
    }); // (B, T, 4C)
    x = g.op('Add', [x, linear(a, `${h}.mlp.c_proj`, 4 * C, C)]); // (B, T, C)
  }

  // 5. Tied LM head: ln_f(x) @ wteᵀ.
  const wteT = g.op('Transpose', ['wte.weight'], { perm: { ints: [1, 0] } }); // (C, V)
  g.op('MatMul', [layerNorm(x, 'ln_f'), wteT], {}, 'logits'); // (B, T, V)
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
