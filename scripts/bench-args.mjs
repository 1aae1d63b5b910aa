// What scripts/bench.mjs and scripts/bench-compare.mjs share: the configs of ../shared/bench/torch_anchor.py
// and flag parsing (node:util's parseArgs, plus the integer and choice checks it does not do).
import { parseArgs } from 'node:util';

/**
 * The configs of torch_anchor.py, by name: tiny and small (the default set, `all`), and three named by the
 * published model whose shape they copy (run one at a time; their weights are random). Llama-architecture
 * configs give kvHeads, ffn, headDim (when not dim / heads) and tied; `lora` is the adapter rank the anchor
 * trains with (qwen3-0.6b's full fine-tuning does not fit in memory).
 */
export const configs = {
  tiny: { layers: 4, heads: 4, dim: 256, vocab: 4096, ctx: 128, batch: 16 },
  small: { layers: 6, heads: 8, dim: 512, vocab: 8192, ctx: 256, batch: 8 },
  'gpt2-124m': { layers: 12, heads: 12, dim: 768, vocab: 50257, ctx: 256, batch: 4 },
  'smollm2-135m': {
    arch: 'llama',
    layers: 30,
    heads: 9,
    kvHeads: 3,
    dim: 576,
    ffn: 1536,
    vocab: 49152,
    tied: true,
    ctx: 256,
    batch: 4,
  },
  'qwen3-0.6b': {
    arch: 'llama',
    layers: 28,
    heads: 16,
    kvHeads: 8,
    headDim: 128,
    dim: 1024,
    ffn: 3072,
    vocab: 151936,
    tied: true,
    ctx: 256,
    batch: 4,
    lora: 16,
  },
};

/** The configs `--config all` runs. */
export const defaultConfigs = ['tiny', 'small'];

/** A config as torch_anchor.py's flags: --layers 4 --kv-heads 3 … --tied (a flag without value when true). */
export const anchorFlags = (c) =>
  Object.entries(c).flatMap(([k, v]) => {
    const flag = `--${k.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
    return v === true ? [flag] : [flag, String(v)];
  });

/**
 * Parse argv against options { 'flag-name': { type: 'string' | 'boolean', default?, min?, choices?, short? } }.
 * A bare `--` is ignored (pnpm may pass one on). `min` makes the value an integer >= min; `choices` lists the
 * allowed strings. Keys come back in camelCase (`loop-steps` → loopSteps). Problems go to fail(message).
 */
export function parseFlags(argv, options, fail) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [
          k,
          o.short ? { type: o.type, short: o.short } : { type: o.type },
        ]),
      ),
    }));
  } catch (err) {
    fail(err.message);
  }
  const out = {};
  for (const [k, o] of Object.entries(options)) {
    let v = values[k];
    if (v !== undefined && o.min !== undefined) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < o.min) fail(`--${k}: expected an integer >= ${o.min}, got '${v}'`);
      v = n;
    }
    if (v !== undefined && o.choices && !o.choices.includes(v)) {
      fail(`--${k}: expected ${o.choices.join(', ')}, got '${v}'`);
    }
    out[k.replace(/-(\w)/g, (_, ch) => ch.toUpperCase())] = v ?? o.default;
  }
  return out;
}
