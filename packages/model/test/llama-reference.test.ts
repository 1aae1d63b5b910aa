import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type InputSpec, Program } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import {
  type CausalLM,
  CheckpointError,
  ConfigError,
  forwardHidden,
  loadCausalLM,
  loadModelDir,
  modelConfig,
  paramShapes,
  readSafetensors,
  scalarHead,
  writeSafetensors,
} from '../src/index.js';
import { gradCheckModel } from './model-gradcheck.js';

// Fixtures: test/fixtures/make_llama_fixtures.py (random HF checkpoints and a float64 reference forward).
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const ref = (name: string) =>
  JSON.parse(readFileSync(fixture(`${name}-ref.json`), 'utf8')) as {
    input_ids: number[][];
    logits: number[][][];
    prompts: number[][];
    greedy: number[][];
    scores: number[];
  };
const tmp = () => mkdtempSync(join(tmpdir(), 'llama-'));

const causalLMs = ['tiny-llama', 'tiny-qwen2', 'tiny-qwen3'];

/** Largest |ours − ref| over the largest |ref|. */
function relativeError(ours: ArrayLike<number>, theirs: number[]): number {
  let err = 0;
  let scale = 0;
  theirs.forEach((v, i) => {
    err = Math.max(err, Math.abs(ours[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return err / scale;
}

describe('Llama, Qwen2 and Qwen3 checkpoints written by PyTorch', () => {
  it.each(causalLMs)('%s: logits within 1e-4 of the float64 reference', async (name) => {
    const lm = await loadCausalLM(fixture(name));
    const r = ref(name);
    const { data } = await lm.logits(r.input_ids);
    expect(relativeError(data, r.logits.flat(2))).toBeLessThan(1e-4);
  });

  it.each(causalLMs)('%s: greedy generation of left-padded prompts equals the reference', async (name) => {
    const lm = await loadCausalLM(fixture(name));
    const r = ref(name);
    const ours = await lm.generate(r.prompts, { maxNewTokens: 6, temperature: 0 });
    // The reference decodes all 6 tokens; we stop at any eos id (llama's config lists two).
    const stop = (t: number[]) => {
      const at = t.findIndex((id) => lm.config.eosTokenIds.includes(id));
      return at < 0 ? t : t.slice(0, at + 1);
    };
    expect(ours).toEqual(r.greedy.map(stop));
  });

  it('reads what the fixtures cover: sharded, BF16, F16, tied and untied heads, biases, q/k norms', async () => {
    const llama = await loadModelDir(fixture('tiny-llama'));
    expect(llama.config).toMatchObject({
      family: 'llama',
      nKVHead: 2,
      tieWordEmbeddings: false,
      mlpBias: true,
    });
    expect(llama.config.ropeScaling?.type).toBe('llama3');
    expect(llama.config.eosTokenIds).toEqual([2, 3]);
    expect(llama.params['lm_head.weight']?.shape).toEqual([64, 32]);
    expect(llama.params['model.layers.1.self_attn.o_proj.bias']?.shape).toEqual([32]);
    const qwen2 = await loadModelDir(fixture('tiny-qwen2'));
    expect(qwen2.config).toMatchObject({ family: 'qwen2', nKVHead: 1, qkvBias: true, oBias: false });
    expect(qwen2.params['lm_head.weight']).toBeUndefined();
    const { tensors } = await readSafetensors(join(fixture('tiny-qwen2'), 'model.safetensors'));
    expect(tensors.get('model.embed_tokens.weight')?.dtype).toBe('BF16');
    const qwen3 = await loadModelDir(fixture('tiny-qwen3'));
    expect(qwen3.config).toMatchObject({ family: 'qwen3', nEmbd: 24, nHead: 4, headDim: 8, qkNorm: true });
    expect(qwen3.params['model.layers.0.self_attn.q_proj.weight']?.shape).toEqual([32, 24]);
    expect(qwen3.params['model.layers.0.self_attn.k_norm.weight']?.shape).toEqual([8]);
  });

  it('loads an HF LlamaForSequenceClassification (no LM head) and scores it like the reference', async () => {
    const lm = await loadCausalLM(fixture('tiny-llama-rm'));
    expect(lm.config.task).toBe('sequence-classification');
    expect(lm.heads['score.weight']?.length).toBe(32);
    expect(lm.params['lm_head.weight']).toBeUndefined();
    const r = ref('tiny-llama-rm');
    expect(await scoreLast(lm, r.input_ids)).toEqual(r.scores.map((s) => expect.closeTo(s, 4)));
  });
});

describe('the Llama-family forward pass', () => {
  it('passes a float64 gradient check: GQA, q/k norms, biases, llama3 RoPE, untied head', async () => {
    const c = modelConfig({
      family: 'qwen3',
      nLayer: 2,
      nHead: 4,
      nKVHead: 2,
      headDim: 4,
      nEmbd: 6,
      nInner: 10,
      vocabSize: 11,
      nPositions: 8,
      bosTokenId: 0,
      eosTokenId: 0,
      qkvBias: true,
      oBias: true,
      tieWordEmbeddings: false,
      ropeTheta: 100,
      ropeScaling: {
        type: 'llama3',
        factor: 4,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositions: 32,
      },
    });
    expect(await gradCheckModel(c, 5)).toBe(3 * Object.keys(paramShapes(c)).length);
  });
});

/** The score head at each row's last token, right padding, through forwardHidden and scalarHead. */
async function scoreLast(lm: CausalLM, rows: number[][]): Promise<number[]> {
  const c = lm.config;
  const T = Math.max(...rows.map((r) => r.length));
  const B = rows.length;
  const shapes = { ...paramShapes(c), 'score.weight': [1, c.nEmbd] };
  const specs: Record<string, InputSpec> = {
    ids: { shape: [B, T], dtype: 'int64' },
    positions: { shape: [B, T], dtype: 'int64' },
    mask: { shape: [B, T] },
  };
  for (const [k, s] of Object.entries(shapes)) specs[`p/${k}`] = { shape: s };
  const prog = Program.compile(specs, (x) => {
    const p = Object.fromEntries(Object.keys(shapes).map((k) => [k, x[`p/${k}`]!]));
    const { hidden } = forwardHidden(p, c, { ids: x['ids']!, positions: x['positions']!, mask: x['mask']! });
    return { scores: scalarHead(hidden, p, 'score') };
  });
  const grid = (f: (r: number[], t: number) => number) =>
    rows.flatMap((r) => Array.from({ length: T }, (_, t) => f(r, t)));
  const out = await prog.run({
    ids: { data: grid((r, t) => r[t] ?? 0) },
    positions: { data: grid((_, t) => t) },
    mask: { data: Float32Array.from(grid((r, t) => (t < r.length ? 1 : 0))) },
    ...lm.paramFeeds(),
    'p/score.weight': { data: lm.heads['score.weight']! },
  });
  const s = out['scores']!.data as Float32Array;
  return rows.map((r, b) => s[b * T + r.length - 1]!);
}

describe('saving a loaded checkpoint', () => {
  it.each([...causalLMs, 'tiny-llama-rm'])(
    '%s: save → load → save is byte-stable and keeps HF config keys',
    async (name) => {
      const root = tmp();
      const lm = await loadCausalLM(fixture(name));
      await lm.save(join(root, 'a'));
      const again = await loadCausalLM(join(root, 'a'));
      expect(again.params).toEqual(lm.params);
      expect(again.heads).toEqual(lm.heads);
      await again.save(join(root, 'b'));
      for (const f of readdirSync(join(root, 'a'))) {
        expect(readFileSync(join(root, 'b', f)), f).toEqual(readFileSync(join(root, 'a', f)));
      }
      const original = JSON.parse(readFileSync(join(fixture(name), 'config.json'), 'utf8'));
      const saved = JSON.parse(readFileSync(join(root, 'a', 'config.json'), 'utf8'));
      expect(saved).toEqual(original); // every key as it was, unknown ones included
      const names = [...(await readSafetensors(join(root, 'a', 'model.safetensors'))).tensors.keys()];
      if (name === 'tiny-llama-rm') expect(names).toContain('score.weight');
      expect(
        names.every((n) => n === 'lm_head.weight' || n === 'score.weight' || n.startsWith('model.')),
      ).toBe(true);
      rmSync(root, { recursive: true });
    },
  );
});

describe('bad checkpoints: one error naming the file and the tensor or key', () => {
  /** A copy of a fixture, edited. */
  const copy = (name: string) => {
    const dir = join(tmp(), name);
    cpSync(fixture(name), dir, { recursive: true });
    return dir;
  };
  const editConfig = (dir: string, edit: (c: Record<string, unknown>) => void) => {
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    edit(c);
    writeFileSync(path, JSON.stringify(c));
    return path;
  };

  it('a missing shard', async () => {
    const dir = copy('tiny-llama');
    const shard = join(dir, 'model-00002-of-00002.safetensors');
    rmSync(shard);
    await expect(loadModelDir(dir)).rejects.toThrow(CheckpointError);
    await expect(loadModelDir(dir)).rejects.toThrow(
      new RegExp(`^${shard}: shard not found \\(.*model.safetensors.index.json maps model\\.`),
    );
  });

  it('a tensor missing, or of the wrong shape', async () => {
    const dir = copy('tiny-qwen2');
    const file = join(dir, 'model.safetensors');
    const { tensors } = await readSafetensors(file);
    tensors.delete('model.layers.1.self_attn.k_proj.bias');
    const w = tensors.get('model.layers.0.mlp.down_proj.weight')!;
    tensors.set('model.layers.0.mlp.down_proj.weight', { ...w, shape: [40, 32] } as typeof w);
    await writeSafetensors(file, tensors);
    await expect(loadModelDir(dir)).rejects.toThrow(
      `${file}: missing tensors: model.layers.1.self_attn.k_proj.bias; model.layers.0.mlp.down_proj.weight: ` +
        'expected shape [32,40], got [40,32] (transposed? Linear weights are [out, in])',
    );
  });

  it('a tensor the index maps to a shard that lacks it', async () => {
    const dir = copy('tiny-llama');
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    const [name, shard] = Object.entries(index.weight_map as Record<string, string>)[0]!;
    const other = shard.includes('00001')
      ? 'model-00002-of-00002.safetensors'
      : 'model-00001-of-00002.safetensors';
    index.weight_map[name] = other;
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    await expect(loadModelDir(dir)).rejects.toThrow(`${join(dir, other)}: missing tensors that`);
  });

  it('an unknown model_type or an unsupported rope type', async () => {
    const dir = copy('tiny-qwen3');
    const path = editConfig(dir, (c) => {
      c['model_type'] = 'mistral';
    });
    await expect(loadModelDir(dir)).rejects.toThrow(ConfigError);
    await expect(loadModelDir(dir)).rejects.toThrow(`${path}: model_type "mistral" is not supported`);
    editConfig(dir, (c) => {
      c['model_type'] = 'qwen3';
      c['rope_scaling'] = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 };
    });
    await expect(loadModelDir(dir)).rejects.toThrow(
      `${path}: rope_scaling.rope_type "yarn" is not supported (default, linear, llama3)`,
    );
  });

  it('an LM head that differs from the embedding it is tied to', async () => {
    const dir = copy('tiny-qwen3');
    const file = join(dir, 'model.safetensors');
    const { tensors } = await readSafetensors(file);
    const head = tensors.get('lm_head.weight')!;
    tensors.set('lm_head.weight', {
      ...head,
      data: (head.data as Float32Array).map((v) => v + 1),
    } as typeof head);
    await writeSafetensors(file, tensors);
    await expect(loadModelDir(dir)).rejects.toThrow(
      `${file}: lm_head.weight differs from model.embed_tokens.weight but tie_word_embeddings is true`,
    );
  });
});
