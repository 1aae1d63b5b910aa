import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModelDir, paramShapes, readSafetensors } from '../src/index.js';

// Fixture written by test/fixtures/make_gpt2_fixture.py (plain PyTorch GPT-2, own safetensors writer).
const dir = fileURLToPath(new URL('./fixtures/tiny-gpt2', import.meta.url));
const logitsPath = fileURLToPath(new URL('./fixtures/tiny-gpt2-logits.json', import.meta.url));

describe('the PyTorch tiny-gpt2 fixture', () => {
  it('is a file in the HF layout another program wrote: prefixed names, lm_head and mask buffers', async () => {
    const { tensors, metadata } = await readSafetensors(`${dir}/model.safetensors`);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.has('transformer.wte.weight')).toBe(true);
    expect(tensors.get('lm_head.weight')?.shape).toEqual([50, 16]);
    expect(tensors.get('transformer.h.1.attn.bias')).toMatchObject({ dtype: 'BOOL', shape: [1, 1, 32, 32] });
  });

  it('loads with loadModelDir: config, every GPT-2 tensor name, and Conv1D [in, out] shapes', async () => {
    const { config, params, heads, tokenizer } = await loadModelDir(dir);
    expect(config).toMatchObject({
      family: 'gpt2',
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      vocabSize: 50,
      nPositions: 32,
      bosTokenId: 49,
      eosTokenId: 49,
      layerNormEpsilon: 1e-5,
    });
    const expected = paramShapes(config);
    expect(Object.keys(params).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, shape] of Object.entries(expected)) expect(params[name]?.shape, name).toEqual(shape);
    expect(params['h.0.attn.c_attn.weight']?.shape).toEqual([16, 48]);
    expect(params['h.1.mlp.c_proj.weight']?.shape).toEqual([64, 16]);
    expect(heads).toEqual({});
    expect(tokenizer).toBeNull();
  });

  it('comes with reference logits for B=2, T=7 over the 50-token vocab', () => {
    const ref = JSON.parse(readFileSync(logitsPath, 'utf8')) as {
      input_ids: number[][];
      logits: number[][][];
    };
    expect(ref.input_ids.map((r) => r.length)).toEqual([7, 7]);
    expect(ref.input_ids.flat().every((id) => id >= 0 && id < 50)).toBe(true);
    expect(ref.logits.map((b) => b.map((t) => t.length))).toEqual([Array(7).fill(50), Array(7).fill(50)]);
  });
});
