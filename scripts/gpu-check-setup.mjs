// What the GPU check's processes share (scripts/gpu-check.sh runs them; scripts/GPU.md explains): the packages
// (built ones in the repo, or the packed copies beside this file on the GPU machine), the two configs, and
// models and data made from seeds, so that every device and every process sees the same numbers.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configs as anchor } from './bench-args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** True in the packed folder, where node_modules/@rlhfkit sits beside this file. */
export const packed = existsSync(join(here, 'node_modules', '@rlhfkit', 'ppo'));
const dist = (pkg, file = 'index.js') => {
  const dir = packed ? join(here, 'node_modules', '@rlhfkit', pkg) : join(here, '..', 'packages', pkg);
  return pathToFileURL(join(dir, 'dist', file)).href;
};

/** onnxruntime-node's version, as the engine resolves it. */
export function ortVersion() {
  const entry = createRequire(dist('engine')).resolve('onnxruntime-node');
  return JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')).version;
}

/** The packages' built code; update.js is @rlhfkit/ppo's internal updater, timed alone as scripts/bench.mjs does. */
export async function loadPackages() {
  try {
    const [engine, model, ppo, update, rm] = await Promise.all(
      [dist('engine'), dist('model'), dist('ppo'), dist('ppo', 'update.js'), dist('reward-model')].map(
        (u) => import(u),
      ),
    );
    return { engine, model, ppo, update, rm };
  } catch (err) {
    throw new Error(`the packages are not built (npx --yes pnpm@10.34.9 build): ${err.message}`);
  }
}

/**
 * tiny: torch_anchor.py's tiny config (4 layers, 256 wide, vocab 4096, 16 rows of 128 tokens), the one the GPU
 * run measures. dry: the same code paths at toy size, a few seconds on a CPU (CI runs it).
 * prompt: prompt tokens (the rest of ctx is generated); greedy: tokens generated in the greedy comparison.
 */
export const configs = {
  tiny: { ...anchor.tiny, prompt: 16, greedy: 48, words: 6000, corpus: 60000 },
  dry: {
    layers: 2,
    heads: 2,
    dim: 32,
    vocab: 320,
    ctx: 32,
    batch: 4,
    prompt: 8,
    greedy: 8,
    words: 400,
    corpus: 4000,
  },
};

/** A text of made-up words with a Zipf-like spread, large enough for a byte-level BPE of x.vocab tokens. */
function corpus(Rng, x) {
  const rng = new Rng(11);
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const words = Array.from({ length: x.words }, () =>
    Array.from({ length: 2 + rng.int(7) }, () => letters[rng.int(letters.length)]).join(''),
  );
  const out = [];
  for (let i = 0; i < x.corpus; i++) {
    const r = rng.next();
    out.push(words[Math.floor(words.length * r * r)]);
  }
  return out;
}

/** The tokenizer, model config, prompts and model builders for config x; runtime options choose the device. */
export function makeSetup({ engine, model, ppo, rm }, x) {
  const { Rng } = engine;
  const words = corpus(Rng, x);
  const tok = model.Tokenizer.train(words.join(' '), { vocabSize: x.vocab, modelMaxLength: x.ctx });
  if (tok.vocabSize !== x.vocab)
    throw new Error(`the BPE stopped at ${tok.vocabSize} tokens, not ${x.vocab}`);
  const config = model.gptConfig({
    nLayer: x.layers,
    nHead: x.heads,
    nEmbd: x.dim,
    vocabSize: x.vocab,
    nPositions: x.ctx,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
  });
  // Prompts: runs of 2-4 corpus words that encode to at most x.prompt tokens.
  const prompts = [];
  for (let i = 0; prompts.length < 4 * x.batch; i += 5) {
    const p = words.slice(i, i + 2 + (i % 3)).join(' ');
    if (tok.encode(p).length <= x.prompt) prompts.push(p);
  }
  const params = model.initParams(config, 0);
  const heads = model.initParams(config, 1, model.headShapes(config));
  const policy = (runtime) => new model.CausalLM(config, params, heads, runtime, tok);
  // Greedy decoding compares argmaxes: weights 4× GPT-2's init spread the logits, so near-ties are rare.
  const sharp = Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, k.includes('ln_') ? v : v.map((w) => 4 * w)]),
  );
  const greedyLM = (runtime) => new model.CausalLM(config, sharp, {}, runtime, tok);
  const scoreHead = { 'score.weight': heads['score.weight'] };
  const rewardModel = (runtime) =>
    new rm.RewardModel(new model.CausalLM(config, model.initParams(config, 2), scoreHead, runtime, tok), tok);
  const ppoConfig = (iterations) =>
    ppo.ppoConfig({
      iterations,
      promptsPerIteration: x.batch,
      minibatchSize: x.batch / 2,
      ppoEpochs: 4,
      maxNewTokens: x.ctx - x.prompt,
      checkpointEvery: 0,
      samplesPerIteration: 0,
    });
  return {
    tok,
    config,
    prompts,
    policy,
    greedyLM,
    rewardModel,
    ppoConfig,
    promptIds: promptIds(tok, prompts, x),
  };
}

/** x.batch prompts as token ids, for generation. */
function promptIds(tok, prompts, x) {
  return prompts.slice(0, x.batch).map((p) => tok.encode(p));
}

/**
 * One PPO minibatch update over x.batch rows of x.ctx tokens (prompt 1 token, as scripts/bench.mjs times it):
 * rows and rollout statistics from seed 42. Returns the updater factory and its stacked batch.
 */
export function updateStep({ engine, ppo, update }, s, x) {
  const { Rng } = engine;
  const rng = new Rng(42);
  const B = x.batch;
  const T = x.ctx;
  const N = T - 1;
  const eos = s.config.eosTokenId;
  const token = () => {
    const t = 1 + rng.int(x.vocab - 1);
    return t === eos ? 1 : t;
  };
  const rows = Array.from({ length: B }, () => Array.from({ length: T }, token));
  const normals = (n, scale = 1, shift = 0) =>
    Float32Array.from({ length: n }, () => shift + scale * rng.normal());
  const layout = ppo.layoutRollout(
    rows.map((r) => r.slice(0, 1)),
    rows.map((r) => r.slice(1)),
    eos,
    1,
    N,
  );
  const oldLogp = normals(B * N, 0.1, -5);
  const data = {
    layout,
    respMask: layout.respMask,
    oldLogp,
    refLogp: oldLogp, // the reference is the rollout policy
    advantages: normals(B * N),
    returns: normals(B * N),
    oldValues: normals(B * N),
  };
  const cfg = ppo.ppoConfig({ promptsPerIteration: B, minibatchSize: B, ppoEpochs: 1, maxNewTokens: N });
  return {
    updater: (runtime) => update.createUpdater(cfg, s.policy(runtime), 1, N, 1),
    batch: update.stackMinibatches(cfg, data, new Rng(7)),
  };
}
