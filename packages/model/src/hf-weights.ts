/**
 * The weights of an HF model directory, as HF lays them out, to and from our parameter records:
 * - reading: model.safetensors, or the shards a model.safetensors.index.json maps every tensor to; F32, F16,
 *   BF16 (and F64) tensors all come back as float32;
 * - names: ours are HF's (param-shapes.ts); a checkpoint may add a prefix (GPT-2's "transformer.", or none on a
 *   bare LlamaModel), a separate copy of a tied LM head (checked equal, then dropped), old buffers (GPT-2's
 *   attention masks, rotary inv_freq) and, in a sequence classifier, score.weight [1, C];
 * - every problem is a CheckpointError naming the file, and the tensor or key.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig } from './config.js';
import { embedName, hasOwnLMHead, paramShapes } from './param-shapes.js';
import { readSafetensors, type SafeTensor } from './safetensors.js';

/** One float32 parameter, row-major. */
export interface ParamTensor {
  data: Float32Array;
  shape: number[];
}

/** Parameters by name. */
export type NamedTensors = Record<string, ParamTensor>;

/** A checkpoint that does not fit its config; the message names the file and every problem. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Tensors by name, each with the file it came from. */
export interface WeightFiles {
  tensors: Map<string, SafeTensor>;
  fileOf: Map<string, string>;
  /** model.safetensors, or model.safetensors.index.json when sharded. */
  source: string;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return undefined;
    throw new CheckpointError(`${path}: unreadable (${e.message})`);
  }
}

/** Read model.safetensors, or every shard of model.safetensors.index.json. */
export async function readWeightFiles(dir: string): Promise<WeightFiles> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  const index = await readJson(indexPath);
  const tensors = new Map<string, SafeTensor>();
  const fileOf = new Map<string, string>();
  const add = (file: string, t: Map<string, SafeTensor>) => {
    for (const [name, v] of t) {
      if (tensors.has(name))
        throw new CheckpointError(`${file}: tensor "${name}" is also in ${fileOf.get(name)}`);
      tensors.set(name, v);
      fileOf.set(name, file);
    }
  };
  if (index === undefined) {
    const path = join(dir, 'model.safetensors');
    const t = await readSafetensors(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT')
        throw new CheckpointError(
          `${path}: not found (nor model.safetensors.index.json; only safetensors are read)`,
        );
      throw err;
    });
    add(path, t.tensors);
    return { tensors, fileOf, source: path };
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new CheckpointError(`${indexPath}: no "weight_map" object`);
  const shards = new Map<string, string[]>();
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\'))
      throw new CheckpointError(`${indexPath}: weight_map["${name}"] is not a file name in this directory`);
    shards.set(file, [...(shards.get(file) ?? []), name]);
  }
  for (const [file, names] of shards) {
    const path = join(dir, file);
    const t = await readSafetensors(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT')
        throw new CheckpointError(
          `${path}: shard not found (${indexPath} maps ${names[0]} and others to it)`,
        );
      throw err;
    });
    const absent = names.filter((n) => !t.tensors.has(n));
    if (absent.length > 0)
      throw new CheckpointError(`${path}: missing tensors that ${indexPath} maps here: ${absent.join(', ')}`);
    add(path, t.tensors);
  }
  return { tensors, fileOf, source: indexPath };
}

/** Buffers old exports carry that are not parameters (GPT-2 causal masks, precomputed rotary frequencies). */
const buffer = /^(h\.\d+\.attn\.(bias|masked_bias)|model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq)$/;

/** A checkpoint name as ours: GPT-2 without "transformer.", Llama-family with "model." (a bare LlamaModel). */
function ourName(name: string, c: ModelConfig): string {
  if (name === 'lm_head.weight' || name === 'score.weight' || name === 'score.bias') return name;
  if (c.family === 'gpt2') return name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
  return name.startsWith('model.') ? name : `model.${name}`;
}

/**
 * HF tensors (read by readWeightFiles, or a map of one file's, named by `source`) as validated params of `c`,
 * plus the score head of a sequence classifier (score.weight [1, C]) when the checkpoint has one.
 */
export function paramsFromHF(
  w: WeightFiles | Map<string, SafeTensor>,
  c: ModelConfig,
  source: string,
): { params: NamedTensors; score: ParamTensor | null } {
  const { tensors, fileOf } = w instanceof Map ? { tensors: w, fileOf: new Map<string, string>() } : w;
  if (!(w instanceof Map)) source = w.source;
  const where = (name: string) => fileOf.get(name) ?? source;
  const params: NamedTensors = {};
  const from = new Map<string, string>(); // our name → checkpoint name
  for (const [raw, t] of tensors) {
    const name = ourName(raw, c);
    if (buffer.test(name)) continue;
    if (from.has(name)) throw new CheckpointError(`${where(raw)}: tensor "${name}" appears twice`);
    if (t.data instanceof Float32Array) params[name] = { data: t.data, shape: t.shape };
    else if (t.data instanceof Float64Array)
      params[name] = { data: Float32Array.from(t.data), shape: t.shape };
    else
      throw new CheckpointError(
        `${where(raw)}: tensor "${raw}" has dtype ${t.dtype}, expected a float dtype`,
      );
    from.set(name, raw);
  }
  const fileFor = (name: string) => where(from.get(name) ?? name);
  if (params['score.bias'])
    throw new CheckpointError(
      `${fileFor('score.bias')}: score.bias: a score head with a bias is not supported`,
    );
  const score = params['score.weight'] ?? null;
  delete params['score.weight'];
  if (score && !sameShape(score.shape, [1, c.nEmbd])) {
    throw new CheckpointError(
      `${fileFor('score.weight')}: score.weight: expected shape [1,${c.nEmbd}] (num_labels 1), got [${score.shape}]`,
    );
  }
  const task = score ? 'sequence-classification' : c.task;
  if (task === 'sequence-classification' && !score)
    throw new CheckpointError(
      `${source}: missing tensor score.weight (config.json says a sequence classifier)`,
    );
  const own = hasOwnLMHead({ ...c, task });
  const lmHead = params['lm_head.weight'];
  if (lmHead && !own) {
    delete params['lm_head.weight'];
    const embed = params[embedName(c)];
    // A tied head saved as its own copy must be the embedding; a classifier's leftover LM head is ignored.
    if (
      task === 'causal-lm' &&
      embed &&
      (!sameShape(lmHead.shape, embed.shape) || lmHead.data.some((v, i) => v !== embed.data[i]))
    ) {
      throw new CheckpointError(
        `${fileFor('lm_head.weight')}: lm_head.weight differs from ${embedName(c)} but tie_word_embeddings is true`,
      );
    }
  }
  checkParams(params, { ...c, task }, source, fileFor);
  return { params, score };
}

/** Throw unless `params` holds exactly the parameters of `c` with the right shapes and sizes. */
export function checkParams(
  params: NamedTensors,
  c: ModelConfig,
  source: string,
  fileOf: (name: string) => string = () => source,
): void {
  const expected = paramShapes(c);
  const problems = new Map<string, string[]>(); // by file
  const report = (file: string, what: string) => problems.set(file, [...(problems.get(file) ?? []), what]);
  const missing = Object.keys(expected).filter((k) => !Object.hasOwn(params, k));
  if (missing.length > 0) report(source, `missing tensors: ${missing.join(', ')}`);
  const unexpected = Object.keys(params).filter((k) => !Object.hasOwn(expected, k));
  for (const k of unexpected) report(fileOf(k), `unexpected tensor: ${k}`);
  for (const [name, want] of Object.entries(expected)) {
    const p = params[name];
    if (!p) continue;
    const size = want.reduce((a, b) => a * b, 1);
    if (!sameShape(p.shape, want)) {
      const transposed = want.length === 2 && sameShape(p.shape, [want[1]!, want[0]!]);
      const layout = c.family === 'gpt2' ? 'Conv1D weights are [in, out]' : 'Linear weights are [out, in]';
      const hint = transposed ? ` (transposed? ${layout})` : '';
      report(fileOf(name), `${name}: expected shape [${want}], got [${p.shape}]${hint}`);
    } else if (p.data.length !== size) {
      report(fileOf(name), `${name}: shape [${want}] needs ${size} values, got ${p.data.length}`);
    }
  }
  if (problems.size > 0)
    throw new CheckpointError([...problems].map(([file, ps]) => `${file}: ${ps.join('; ')}`).join('; '));
}

/** Our params (and a classifier's score) as the tensors of the HF checkpoint for `c`, by HF name. */
export function paramsToHF(params: NamedTensors, c: ModelConfig, score: ParamTensor | null): NamedTensors {
  // GPT2ForSequenceClassification names its backbone "transformer." (unprefixed names would make HF prefix
  // score.weight too, and drop it); GPT2LMHeadModel loads either, and we keep writing GPT2Model's names.
  const prefix = c.family === 'gpt2' && c.task === 'sequence-classification' ? 'transformer.' : '';
  const out: NamedTensors = {};
  for (const [k, v] of Object.entries(params)) out[k === 'lm_head.weight' ? k : prefix + k] = v;
  if (score) out['score.weight'] = score;
  return out;
}
