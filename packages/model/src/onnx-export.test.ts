import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, env, pipeline, Tensor } from '@huggingface/transformers';
import { getSession, type HostTensor } from '@rlhfkit/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CausalLM } from './causal-lm.js';
import { gptConfig } from './config.js';
import { initParams } from './forward.js';
import { buildOnnxDecoder, exportOnnx } from './onnx-export.js';
import { Tokenizer } from './tokenizer.js';

const text = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps in the sun while the fox runs into the woods.',
  'A policy is trained with rewards from a model of human preferences; the reference model keeps it close.',
  'Small models learn quickly on small data, and tests that run in seconds keep the loop of work short.',
  'Every token has a position, every position has an embedding, and every layer mixes the tokens it sees.',
].join('\n');

const tokenizer = Tokenizer.train(text, { vocabSize: 300, modelMaxLength: 64 });
const config = gptConfig({
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  vocabSize: tokenizer.vocabSize,
  nPositions: 64,
  bosTokenId: tokenizer.bosTokenId,
  eosTokenId: tokenizer.eosTokenId,
});

function tinyLM(seed: number): CausalLM {
  const params = initParams(config, seed);
  // Larger weights than GPT-2's init, so attention and GELU are far from linear and greedy picks vary.
  for (const [k, v] of Object.entries(params))
    if (!k.includes('ln_')) for (let i = 0; i < v.length; i++) v[i]! *= 6;
  return new CausalLM(config, params);
}

const int64 = (rows: number[][]) => BigInt64Array.from(rows.flat(), (v) => BigInt(v));

/** Left-pad prompts with the eos id; mask 1 on real tokens; positions count real tokens before each. */
function leftPad(prompts: number[][]) {
  const L = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.map((p) => [...Array(L - p.length).fill(config.eosTokenId), ...p]);
  const mask = prompts.map((p) => [...Array(L - p.length).fill(0), ...p.map(() => 1)]);
  const positions = prompts.map((p) => [...Array(L - p.length).fill(0), ...p.map((_, t) => t)]);
  return { L, ids, mask, positions };
}

/** New tokens up to and including the first eos, as CausalLM.generate returns them. */
function untilEos(tokens: number[], eos: number): number[] {
  const at = tokens.indexOf(eos);
  return at < 0 ? tokens : tokens.slice(0, at + 1);
}

describe('exportOnnx', () => {
  const lm = tinyLM(1);
  const prompts = [tokenizer.encode('The quick brown fox'), tokenizer.encode('A policy is')];
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rlhfkit-onnx-'));
    await exportOnnx(lm, dir, tokenizer);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads in transformers.js and generates greedily the same tokens as CausalLM.generate', async () => {
    expect(prompts[0]!.length).not.toBe(prompts[1]!.length); // a left-padded batch
    const maxNewTokens = 10;
    const ours = await lm.generate(prompts, { maxNewTokens, temperature: 0 });
    const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32' });
    const { L, ids, mask } = leftPad(prompts);
    const out = (await model.generate({
      input_ids: new Tensor('int64', int64(ids), [2, L]),
      attention_mask: new Tensor('int64', int64(mask), [2, L]),
      max_new_tokens: maxNewTokens,
      do_sample: false,
    })) as Tensor;
    const rows = (out.tolist() as bigint[][]).map((r) => r.slice(L).map(Number));
    const theirs = rows.map((r) => untilEos(r, config.eosTokenId));
    expect(theirs).toEqual(ours);
    // the comparison is not of a constant output: each row changes its pick several times
    for (const row of ours) expect(new Set(row).size).toBeGreaterThanOrEqual(4);
    await model.dispose();
  });

  it('gives the same logits as lm.logits within 1e-4 in one transformers.js forward', async () => {
    const seqs = [tokenizer.encode('the dog sleeps'), tokenizer.encode('every layer')];
    const T = Math.min(seqs[0]!.length, seqs[1]!.length);
    const batch = seqs.map((s) => s.slice(0, T));
    const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32' });
    const out = await model({
      input_ids: new Tensor('int64', int64(batch), [2, T]),
      attention_mask: new Tensor('int64', int64(batch.map((s) => s.map(() => 1))), [2, T]),
    });
    const logits = out['logits'] as Tensor;
    expect(logits.dims).toEqual([2, T, config.vocabSize]);
    const ref = await lm.logits(batch);
    const data = logits.data as Float32Array;
    let maxErr = 0;
    for (let i = 0; i < data.length; i++) maxErr = Math.max(maxErr, Math.abs(data[i]! - ref.data[i]!));
    expect(maxErr).toBeLessThan(1e-4);
    await model.dispose();
  });

  it("produces text with pipeline('text-generation')", async () => {
    const generator = await pipeline('text-generation', dir, { dtype: 'fp32' });
    const prompt = 'The quick brown fox';
    const out = (await generator(prompt, { max_new_tokens: 8, do_sample: false })) as {
      generated_text: string;
    }[];
    const [ours] = await lm.generate([tokenizer.encode(prompt)], { maxNewTokens: 8, temperature: 0 });
    const expected = tokenizer.decode([...tokenizer.encode(prompt), ...ours!], { skipSpecialTokens: true });
    expect(out[0]!.generated_text).toBe(expected);
    expect(expected.length).toBeGreaterThan(prompt.length);
    await generator.dispose();
  });

  it('runs in our runtime with a non-empty past: prefix then rest equals one forward, with left padding', async () => {
    const session = await getSession(new Uint8Array(await readFile(join(dir, 'onnx', 'model.onnx'))));
    const seqs = [tokenizer.encode('The quick brown fox jumps'), tokenizer.encode('the sun')];
    const { L, ids, mask, positions } = leftPad(seqs);
    const H = config.nHead;
    const D = config.nEmbd / H;
    const emptyPast: Record<string, HostTensor> = {};
    for (let i = 0; i < config.nLayer; i++)
      for (const s of ['key', 'value'])
        emptyPast[`past_key_values.${i}.${s}`] = {
          data: new Float32Array(0),
          shape: [2, H, 0, D],
          dtype: 'float32',
        };
    const cols = (rows: number[][], from: number, to: number) => rows.map((r) => r.slice(from, to));
    const feed = (from: number, to: number, past: Record<string, HostTensor>) => ({
      input_ids: { data: int64(cols(ids, from, to)), shape: [2, to - from], dtype: 'int64' as const },
      attention_mask: { data: int64(cols(mask, 0, to)), shape: [2, to], dtype: 'int64' as const },
      position_ids: {
        data: int64(cols(positions, from, to)),
        shape: [2, to - from],
        dtype: 'int64' as const,
      },
      ...past,
    });
    const whole = await session.run(feed(0, L, emptyPast));
    const split = 3;
    const first = await session.run(feed(0, split, emptyPast));
    const past: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(first))
      if (k.startsWith('present.')) past[k.replace('present', 'past_key_values')] = v;
    expect(past['past_key_values.0.key']!.shape).toEqual([2, H, split, D]);
    const rest = await session.run(feed(split, L, past));
    expect(rest['present.1.value']!.shape).toEqual([2, H, L, D]);
    const V = config.vocabSize;
    const ref = await lm.logits(seqs);
    let maxSplit = 0;
    let maxRef = 0;
    seqs.forEach((s, b) => {
      const pad = L - s.length;
      for (let t = pad; t < L; t++) {
        for (let v = 0; v < V; v++) {
          const one = whole['logits']!.data[(b * L + t) * V + v] as number;
          const inc =
            t < split
              ? first['logits']!.data[(b * split + t) * V + v]
              : rest['logits']!.data[(b * (L - split) + t - split) * V + v];
          maxSplit = Math.max(maxSplit, Math.abs(one - (inc as number)));
          maxRef = Math.max(maxRef, Math.abs(one - ref.data[(b * ref.shape[1] + t - pad) * V + v]!));
        }
      }
    });
    expect(maxSplit).toBeLessThan(1e-4);
    expect(maxRef).toBeLessThan(1e-4);
  });

  it('refuses a model whose weights do not fit in one 2 GiB ONNX file, naming the limit', () => {
    const big = gptConfig({ nLayer: 48, nHead: 16, nEmbd: 2048 }); // 2.5e9 parameters: 10 GB of float32
    expect(() => buildOnnxDecoder(big, {})).toThrow(/2 GiB/);
  });
});
