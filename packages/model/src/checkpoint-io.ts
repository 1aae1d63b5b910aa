/**
 * Checkpoints as a Hugging Face GPT-2 model directory:
 *   config.json, generation_config.json   (config.ts)
 *   model.safetensors                      HF GPT-2 names and layouts (below)
 *   tokenizer.json, tokenizer_config.json  (tokenizer.ts), when a tokenizer is given
 *   heads.safetensors                      our value / score heads, which HF has no place for
 *
 * Params are a flat record keyed by HF GPT-2 names without prefix: wte.weight [V, C], wpe.weight [P, C],
 * h.{i}.ln_1.{weight,bias} [C], h.{i}.attn.c_attn.{weight [C, 3C], bias [3C]}, h.{i}.attn.c_proj.{weight [C, C],
 * bias [C]}, h.{i}.ln_2.*, h.{i}.mlp.c_fc.{weight [C, 4C], bias [4C]}, h.{i}.mlp.c_proj.{weight [4C, C], bias [C]},
 * ln_f.*. Weights keep HF's Conv1D layout [in, out], which is also ours (x @ W). On read a "transformer."
 * prefix is accepted; lm_head.weight must equal wte.weight (tied) and is dropped; the attention-mask buffers
 * old exports carry (h.{i}.attn.bias, h.{i}.attn.masked_bias) are dropped.
 *
 * saveModelDir writes the whole directory atomically (into a temporary sibling, then renamed over `dir`).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic, writeFileAtomic } from '@rlhfkit/io';
import {
  fromHFConfig,
  type GenerationDefaults,
  type GPTConfig,
  toHFConfig,
  toHFGenerationConfig,
} from './config.js';
import { paramShapes } from './param-shapes.js';
import { readSafetensors, type SafeTensor, writeSafetensors } from './safetensors.js';
import { Tokenizer } from './tokenizer.js';

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

/** Throw unless `params` holds exactly the GPT-2 parameters of `c` with the right shapes and sizes. */
export function checkParams(params: NamedTensors, c: GPTConfig, source: string): void {
  const expected = paramShapes(c);
  const problems: string[] = [];
  const missing = Object.keys(expected).filter((k) => !Object.hasOwn(params, k));
  if (missing.length > 0) problems.push(`missing tensors: ${missing.join(', ')}`);
  const unexpected = Object.keys(params).filter((k) => !Object.hasOwn(expected, k));
  if (unexpected.length > 0) problems.push(`unexpected tensors: ${unexpected.join(', ')}`);
  for (const [name, want] of Object.entries(expected)) {
    const p = params[name];
    if (!p) continue;
    if (!sameShape(p.shape, want)) {
      const transposed = want.length === 2 && sameShape(p.shape, [want[1]!, want[0]!]);
      const hint = transposed ? ' (transposed? Conv1D weights are [in, out])' : '';
      problems.push(`${name}: expected shape [${want}], got [${p.shape}]${hint}`);
    } else if (p.data.length !== want.reduce((a, b) => a * b, 1)) {
      problems.push(
        `${name}: shape [${want}] needs ${want.reduce((a, b) => a * b, 1)} values, got ${p.data.length}`,
      );
    }
  }
  if (problems.length > 0) throw new CheckpointError(`${source}: ${problems.join('; ')}`);
}

/** Float tensors as float32 params (ints are rejected); names are kept as they are. */
function toParams(tensors: Map<string, SafeTensor>, source: string): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, t] of tensors) {
    if (t.data instanceof Float32Array) out[name] = { data: t.data, shape: t.shape };
    else if (t.data instanceof Float64Array) out[name] = { data: Float32Array.from(t.data), shape: t.shape };
    else
      throw new CheckpointError(`${source}: tensor "${name}" has dtype ${t.dtype}, expected a float dtype`);
  }
  return out;
}

const droppedBuffer = /^h\.\d+\.attn\.(bias|masked_bias)$/;

/** HF GPT-2 tensors (prefix, tied head and buffers handled as described above) to validated params. */
export function paramsFromHF(tensors: Map<string, SafeTensor>, c: GPTConfig, source: string): NamedTensors {
  const kept = new Map<string, SafeTensor>();
  for (const [rawName, t] of tensors) {
    const name = rawName.startsWith('transformer.') ? rawName.slice('transformer.'.length) : rawName;
    if (droppedBuffer.test(name)) continue; // causal-mask buffers (BOOL or F32), not parameters
    if (kept.has(name)) throw new CheckpointError(`${source}: tensor "${name}" appears twice`);
    kept.set(name, t);
  }
  const params = toParams(kept, source);
  const lmHead = params['lm_head.weight'];
  delete params['lm_head.weight'];
  checkParams(params, c, source);
  if (lmHead) {
    const wte = params['wte.weight']!;
    if (!sameShape(lmHead.shape, wte.shape) || lmHead.data.some((v, i) => v !== wte.data[i])) {
      throw new CheckpointError(
        `${source}: lm_head.weight differs from wte.weight; untied LM heads are not supported`,
      );
    }
  }
  return params;
}

/** Params as float tensors for a safetensors file. */
function toTensors(params: NamedTensors, dtype: 'F32' | 'F16' | 'BF16'): Map<string, SafeTensor> {
  return new Map(Object.entries(params).map(([name, p]) => [name, { dtype, shape: p.shape, data: p.data }]));
}

export interface ModelDir {
  config: GPTConfig;
  /** The GPT-2 parameters (no prefix). */
  params: NamedTensors;
  /** Extra heads from heads.safetensors, by name ({} when the file is absent). */
  heads: NamedTensors;
  /** The tokenizer, when tokenizer.json is present. */
  tokenizer: Tokenizer | null;
}

export interface SaveModelDirOptions {
  config: GPTConfig;
  params: NamedTensors;
  /** Value / score heads, saved to heads.safetensors (names are free, e.g. "value_head.weight"). */
  heads?: NamedTensors;
  tokenizer?: Tokenizer;
  /** Sampling defaults recorded in generation_config.json. */
  generation?: GenerationDefaults;
  /** Storage dtype of the weights (default F32); values are always float32 in memory. */
  dtype?: 'F32' | 'F16' | 'BF16';
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Write an HF GPT-2 model directory atomically; refuses to replace a non-empty dir without config.json. */
export async function saveModelDir(dir: string, o: SaveModelDirOptions): Promise<void> {
  checkParams(o.params, o.config, dir);
  const dtype = o.dtype ?? 'F32';
  await writeDirAtomic(dir, 'config.json', async (tmp) => {
    await writeSafetensors(join(tmp, 'model.safetensors'), toTensors(o.params, dtype), { format: 'pt' });
    if (o.heads && Object.keys(o.heads).length > 0) {
      await writeSafetensors(join(tmp, 'heads.safetensors'), toTensors(o.heads, 'F32'), { format: 'pt' });
    }
    if (o.tokenizer) await o.tokenizer.save(tmp);
    await writeFileAtomic(
      join(tmp, 'generation_config.json'),
      json(toHFGenerationConfig(o.config, o.generation)),
    );
    await writeFileAtomic(join(tmp, 'config.json'), json(toHFConfig(o.config)));
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}

/** Load and validate an HF GPT-2 model directory (ours, or one written by transformers / another program). */
export async function loadModelDir(dir: string): Promise<ModelDir> {
  const configPath = join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'not found (is this a model directory?)' : `unreadable (${e.message})`;
    throw new CheckpointError(`${configPath}: ${why}`);
  }
  const config = fromHFConfig(raw, configPath);
  const modelPath = join(dir, 'model.safetensors');
  if (!(await exists(modelPath))) throw new CheckpointError(`${modelPath}: not found`);
  const params = paramsFromHF((await readSafetensors(modelPath)).tensors, config, modelPath);
  const headsPath = join(dir, 'heads.safetensors');
  const heads = (await exists(headsPath))
    ? toParams((await readSafetensors(headsPath)).tensors, headsPath)
    : {};
  const tokenizer = (await exists(join(dir, 'tokenizer.json'))) ? await Tokenizer.load(dir) : null;
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new CheckpointError(
      `${dir}: tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`,
    );
  }
  return { config, params, heads, tokenizer };
}
