import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, loadCausalLM } from '../src/index.js';

// The PyTorch-written checkpoints of test/fixtures/make_llama_fixtures.py, exported and run by transformers.js.
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const int64 = (rows: number[][]) => BigInt64Array.from(rows.flat(), (v) => BigInt(v));

// Prompts of two lengths per model, picked so that each greedy continuation changes token several times.
const long = [40, 7, 22, 31, 8, 12];
const mid = [6, 60, 6, 60, 6];
const short = [50, 51, 52, 53];
describe.each([
  ['tiny-llama', 'GQA 4:2, llama3 RoPE, every bias, untied head', [short, mid]],
  ['tiny-qwen2', 'MQA 4:1, linear RoPE, q/k/v biases, tied head', [long, mid]],
  ['tiny-qwen3', 'q/k norms, head_dim 8 with hidden 24', [long, short]],
])('ONNX export of %s (%s) in transformers.js', (name, _what, prompts) => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `rlhfkit-onnx-${name}-`));
    await exportOnnx(await loadCausalLM(fixture(name)), dir);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('generates greedily, with a KV cache over left-padded prompts, the same tokens as CausalLM.generate', async () => {
    const lm = await loadCausalLM(fixture(name));
    const maxNewTokens = 8;
    const ours = await lm.generate(prompts, { maxNewTokens, temperature: 0 });
    const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32' });
    const L = Math.max(...prompts.map((p) => p.length));
    const ids = prompts.map((p) => [...Array(L - p.length).fill(lm.config.eosTokenId), ...p]);
    const mask = prompts.map((p) => [...Array(L - p.length).fill(0), ...p.map(() => 1)]);
    const out = (await model.generate({
      input_ids: new Tensor('int64', int64(ids), [2, L]),
      attention_mask: new Tensor('int64', int64(mask), [2, L]),
      max_new_tokens: maxNewTokens,
      do_sample: false,
    })) as Tensor;
    const stop = (row: number[]) => {
      const at = row.findIndex((t) => lm.config.eosTokenIds.includes(t));
      return at < 0 ? row : row.slice(0, at + 1);
    };
    const theirs = (out.tolist() as bigint[][]).map((r) => stop(r.slice(L).map(Number)));
    expect(theirs).toEqual(ours);
    for (const row of ours) expect(new Set(row).size).toBeGreaterThanOrEqual(3); // not one repeated token
    await model.dispose();
  });

  it('gives the logits of lm.logits within 1e-4 in one forward', async () => {
    const lm = await loadCausalLM(fixture(name));
    const batch = [
      [4, 17, 33, 60, 21],
      [9, 9, 50, 12, 44],
    ];
    const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32' });
    const out = await model({
      input_ids: new Tensor('int64', int64(batch), [2, 5]),
      attention_mask: new Tensor('int64', int64(batch.map((s) => s.map(() => 1))), [2, 5]),
    });
    const data = (out['logits'] as Tensor).data as Float32Array;
    const ref = await lm.logits(batch);
    let maxErr = 0;
    for (let i = 0; i < data.length; i++) maxErr = Math.max(maxErr, Math.abs(data[i]! - ref.data[i]!));
    expect(maxErr).toBeLessThan(1e-4);
    await model.dispose();
  });
});
