/** Parameter names and shapes of the GPT-2 layout (HF names; Conv1D weights are [in, out]). No engine import,
 * so checkpoint I/O can use it without loading the runtime. */
import type { GPTConfig } from './config.js';

/** Every backbone parameter of a config, with its shape, in a stable order. */
export function paramShapes(c: GPTConfig): Record<string, number[]> {
  const C = c.nEmbd;
  const s: Record<string, number[]> = { 'wte.weight': [c.vocabSize, C], 'wpe.weight': [c.nPositions, C] };
  for (let i = 0; i < c.nLayer; i++) {
    const h = `h.${i}`;
    Object.assign(s, {
      [`${h}.ln_1.weight`]: [C],
      [`${h}.ln_1.bias`]: [C],
      [`${h}.attn.c_attn.weight`]: [C, 3 * C],
      [`${h}.attn.c_attn.bias`]: [3 * C],
      [`${h}.attn.c_proj.weight`]: [C, C],
      [`${h}.attn.c_proj.bias`]: [C],
      [`${h}.ln_2.weight`]: [C],
      [`${h}.ln_2.bias`]: [C],
      [`${h}.mlp.c_fc.weight`]: [C, 4 * C],
      [`${h}.mlp.c_fc.bias`]: [4 * C],
      [`${h}.mlp.c_proj.weight`]: [4 * C, C],
      [`${h}.mlp.c_proj.bias`]: [C],
    });
  }
  s['ln_f.weight'] = [C];
  s['ln_f.bias'] = [C];
  return s;
}

/** Shapes of the scalar heads read off the final hidden state. */
export const headShapes = (c: GPTConfig): Record<string, number[]> => ({
  'value_head.weight': [c.nEmbd, 1],
  'value_head.bias': [1],
  'score_head.weight': [c.nEmbd, 1],
  'score_head.bias': [1],
});
