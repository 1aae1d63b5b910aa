import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gptConfig, loadCausalLM, paramShapes } from '../src/index.js';
import { gradCheckModel } from './model-gradcheck.js';

describe('GPT against independent references', () => {
  it('loads a GPT-2 checkpoint written by PyTorch and matches its logits to 1e-4', async () => {
    // Fixture: test/fixtures/make_gpt2_fixture.py (a plain PyTorch GPT-2 and its own safetensors writer).
    const dir = fileURLToPath(new URL('./fixtures/tiny-gpt2', import.meta.url));
    const ref = JSON.parse(
      readFileSync(fileURLToPath(new URL('./fixtures/tiny-gpt2-logits.json', import.meta.url)), 'utf8'),
    ) as {
      input_ids: number[][];
      logits: number[][][];
    };
    const lm = await loadCausalLM(dir);
    const { data, shape } = await lm.logits(ref.input_ids);
    const [B, T, V] = shape;
    let maxErr = 0;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let v = 0; v < V; v++) {
          maxErr = Math.max(maxErr, Math.abs(data[(b * T + t) * V + v]! - ref.logits[b]![t]![v]!));
        }
    expect(maxErr).toBeLessThan(1e-4);
  });

  it('passes a float64 central-difference gradient check through the whole tiny GPT', async () => {
    const c = gptConfig({
      nLayer: 2,
      nHead: 2,
      nEmbd: 8,
      vocabSize: 11,
      nPositions: 8,
      bosTokenId: 0,
      eosTokenId: 0,
    });
    expect(await gradCheckModel(c, 4)).toBe(3 * Object.keys(paramShapes(c)).length);
  });
});
