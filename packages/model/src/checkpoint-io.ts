/**
 * Checkpoints as a Hugging Face model directory of any family (GPT-2, Llama, Qwen2, Qwen3):
 *   config.json, generation_config.json   (hf-config.ts; read files are written back with their own keys)
 *   model.safetensors                      HF names and layouts (hf-weights.ts); read also when sharded
 *   tokenizer.json, tokenizer_config.json  (tokenizer.ts), when a tokenizer is given
 *   heads.safetensors                      our value head, which HF has no place for
 * A causal LM is saved as XForCausalLM (GPT2LMHeadModel). A model whose heads hold a score (score.weight
 * [1, C], a reward model) is saved as XForSequenceClassification: score.weight in model.safetensors, the LM
 * head left out, num_labels 1 and pad_token_id in config.json, so HF, TRL and OpenRLHF load it as it is; such
 * a directory (ours or theirs) loads back with the score in `heads`.
 *
 * Weights are saved as F32 by default (we train in float32); a config read from a file keeps its torch_dtype,
 * the dtype the model is meant to run in (a BF16 checkpoint saved back as F32 still says bfloat16).
 *
 * saveModelDir writes the whole directory atomically (into a temporary sibling, then renamed over `dir`).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic, writeFileAtomic } from '@rlhfkit/io';
import type { GenerationDefaults, ModelConfig } from './config.js';
import { fromHFConfig, toHFConfig, toHFGenerationConfig } from './hf-config.js';
import {
  CheckpointError,
  checkParams,
  type NamedTensors,
  type ParamTensor,
  paramsFromHF,
  paramsToHF,
  readWeightFiles,
} from './hf-weights.js';
import { readSafetensors, type SafeTensor, writeSafetensors } from './safetensors.js';
import { Tokenizer } from './tokenizer.js';

export { CheckpointError, checkParams, type NamedTensors, type ParamTensor, paramsFromHF };

/** Params as float tensors for a safetensors file. */
function toTensors(params: NamedTensors, dtype: 'F32' | 'F16' | 'BF16'): Map<string, SafeTensor> {
  return new Map(Object.entries(params).map(([name, p]) => [name, { dtype, shape: p.shape, data: p.data }]));
}

export interface ModelDir {
  config: ModelConfig;
  /** The backbone parameters under our (HF) names. */
  params: NamedTensors;
  /** Heads by name: the value head from heads.safetensors, a classifier's score.weight ({} when none). */
  heads: NamedTensors;
  /** The tokenizer, when tokenizer.json is present. */
  tokenizer: Tokenizer | null;
}

export interface SaveModelDirOptions {
  config: ModelConfig;
  params: NamedTensors;
  /** Heads: score.weight makes a sequence classifier; the rest go to heads.safetensors (e.g. value_head.*). */
  heads?: NamedTensors;
  tokenizer?: Tokenizer;
  /** Sampling defaults recorded in generation_config.json. */
  generation?: GenerationDefaults;
  /** Storage dtype of the weights (default F32); values are always float32 in memory. */
  dtype?: 'F32' | 'F16' | 'BF16';
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** The config a model with these heads is saved under: a sequence classifier when it has a score head. */
export const savedConfig = (
  c: ModelConfig,
  heads: NamedTensors | Record<string, unknown> = {},
): ModelConfig => (Object.hasOwn(heads, 'score.weight') ? { ...c, task: 'sequence-classification' } : c);

/** Write an HF model directory atomically; refuses to replace a non-empty dir without config.json. */
export async function saveModelDir(dir: string, o: SaveModelDirOptions): Promise<void> {
  const { 'score.weight': score, ...rest } = o.heads ?? {};
  const config = savedConfig(o.config, o.heads);
  const params = { ...o.params };
  if (config.task === 'sequence-classification') delete params['lm_head.weight']; // a classifier has no LM head
  checkParams(params, config, dir);
  const dtype = o.dtype ?? 'F32';
  await writeDirAtomic(dir, 'config.json', async (tmp) => {
    const tensors = toTensors(paramsToHF(params, config, score ?? null), dtype);
    await writeSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
    if (Object.keys(rest).length > 0) {
      await writeSafetensors(join(tmp, 'heads.safetensors'), toTensors(rest, 'F32'), { format: 'pt' });
    }
    if (o.tokenizer) await o.tokenizer.save(tmp);
    await writeFileAtomic(
      join(tmp, 'generation_config.json'),
      json(toHFGenerationConfig(config, o.generation)),
    );
    await writeFileAtomic(join(tmp, 'config.json'), json(toHFConfig(config)));
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

async function readJsonFile(path: string, required: boolean): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && !required) return undefined;
    const why = e.code === 'ENOENT' ? 'not found (is this a model directory?)' : `unreadable (${e.message})`;
    throw new CheckpointError(`${path}: ${why}`);
  }
}

/** Load and validate an HF model directory of any family (ours, or one written by transformers / others). */
export async function loadModelDir(dir: string): Promise<ModelDir> {
  const configPath = join(dir, 'config.json');
  const raw = await readJsonFile(configPath, true);
  const generation = await readJsonFile(join(dir, 'generation_config.json'), false);
  const config0 = fromHFConfig(raw, configPath, generation);
  const { params, score } = paramsFromHF(await readWeightFiles(dir), config0, dir);
  const config: ModelConfig = score ? { ...config0, task: 'sequence-classification' } : config0;
  const headsPath = join(dir, 'heads.safetensors');
  const heads: NamedTensors = {};
  if (await exists(headsPath)) {
    for (const [name, t] of (await readSafetensors(headsPath)).tensors) {
      if (!(t.data instanceof Float32Array))
        throw new CheckpointError(`${headsPath}: tensor "${name}" has dtype ${t.dtype}, expected F32`);
      heads[name] = { data: t.data, shape: t.shape };
    }
  }
  if (score) heads['score.weight'] = score;
  const tokenizer = (await exists(join(dir, 'tokenizer.json'))) ? await Tokenizer.load(dir) : null;
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new CheckpointError(
      `${dir}: tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`,
    );
  }
  return { config, params, heads, tokenizer };
}
