/**
 * Training checkpoints: everything a killed run needs to continue exactly. One directory, written atomically
 * (a reader or a resume sees the previous checkpoint or the new one, never a mix):
 * - model/: the HF model directory (policy or backbone, heads, tokenizer)
 * - optimizer.safetensors: AdamW moments m/<name>, v/<name>
 * - state.json: step, RNG state, data position and whatever else the job records
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimeOptions, TrainerState } from '@rlhfkit/engine';
import { writeDirAtomic, writeFileAtomic } from '@rlhfkit/io';
import { type CausalLM, loadCausalLM } from './causal-lm.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export interface CheckpointContents {
  lm: CausalLM;
  /** Optimizer moments by parameter name (several optimizers: prefix the names). */
  m: Record<string, Float32Array | Float64Array>;
  v: Record<string, Float32Array | Float64Array>;
  state: Record<string, unknown>;
}

export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  await writeDirAtomic(dir, 'state.json', async (tmp) => {
    await c.lm.save(join(tmp, 'model'));
    const tensors = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
    for (const [k, a] of Object.entries(c.m))
      tensors.set(`m/${k}`, { dtype: 'F32', shape: [a.length], data: Float32Array.from(a) });
    for (const [k, a] of Object.entries(c.v))
      tensors.set(`v/${k}`, { dtype: 'F32', shape: [a.length], data: Float32Array.from(a) });
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), tensors);
    await writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(c.state, null, 2)}\n`);
  });
}

export async function hasCheckpoint(dir: string): Promise<boolean> {
  return access(join(dir, 'state.json')).then(
    () => true,
    () => false,
  );
}

export async function loadCheckpoint(dir: string, runtime: RuntimeOptions = {}): Promise<CheckpointContents> {
  const lm = await loadCausalLM(join(dir, 'model'), runtime);
  const opt = await readSafetensors(join(dir, 'optimizer.safetensors'));
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [k, t] of opt.tensors) {
    const data = t.data as Float32Array;
    if (k.startsWith('m/')) m[k.slice(2)] = data;
    else if (k.startsWith('v/')) v[k.slice(2)] = data;
  }
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
  return { lm, m, v, state };
}

/** Copy moments out of a trainer state, optionally prefixing names. */
export function moments(s: TrainerState, prefix = ''): Pick<CheckpointContents, 'm' | 'v'> {
  const pre = (r: Record<string, Float32Array | Float64Array>) =>
    Object.fromEntries(Object.entries(r).map(([k, a]) => [`${prefix}${k}`, a]));
  return { m: pre(s.m), v: pre(s.v) };
}
