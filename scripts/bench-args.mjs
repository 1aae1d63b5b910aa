// What scripts/bench.mjs and scripts/bench-compare.mjs share: the configs of ../shared/bench/torch_anchor.py
// and flag parsing (node:util's parseArgs, plus the integer and choice checks it does not do).
import { parseArgs } from 'node:util';

/** The two configs of torch_anchor.py, by name. */
export const configs = {
  tiny: { layers: 4, heads: 4, dim: 256, vocab: 4096, ctx: 128, batch: 16 },
  small: { layers: 6, heads: 8, dim: 512, vocab: 8192, ctx: 256, batch: 8 },
};

/** A config as torch_anchor.py's flags: --layers 4 --heads 4 … */
export const anchorFlags = (c) => Object.entries(c).flatMap(([k, v]) => [`--${k}`, String(v)]);

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
