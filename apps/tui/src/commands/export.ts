/** `rlhf export --model DIR --onnx OUT`: a model directory as a transformers.js model directory (ONNX). */
import { z } from 'zod';
import { commandHelp } from '../help.js';
import { exitCodes, type Io, UsageError } from '../io.js';
import type { CommandSpec } from '../jobs/specs.js';
import { fieldsOf, parseCommandArgs, resolvePaths, validateOptions } from '../options.js';

const path = (description: string) => z.string().min(1).meta({ group: 'inputs', description, path: true });

const schema = z.strictObject({
  model: path('model directory to export (HF layout: config.json, model.safetensors, tokenizer.json)'),
  onnx: path(
    'output directory: onnx/model.onnx, config.json, generation_config.json and the tokenizer, as transformers.js loads them',
  ),
});

export const exportCommandSpec: CommandSpec = {
  name: 'export',
  summary: 'export a model directory to ONNX for transformers.js',
  schema,
};

export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const fields = fieldsOf(schema);
  const args = parseCommandArgs(argv, fields);
  if (args.common.help) {
    io.stdout.write(commandHelp(exportCommandSpec));
    return exitCodes.ok;
  }
  const o = resolvePaths(validateOptions('export', schema, args), fields, io.cwd) as z.output<typeof schema>;
  const { exportOnnx, loadCausalLM } = await import('@rlhfkit/model');
  let lm: Awaited<ReturnType<typeof loadCausalLM>>;
  try {
    lm = await loadCausalLM(o.model);
  } catch (err) {
    throw new UsageError(`--model: ${(err as Error).message}`);
  }
  await exportOnnx(lm, o.onnx, lm.tokenizer ?? undefined);
  io.stdout.write(`exported ${o.model} to ${o.onnx} (onnx/model.onnx)\n`);
  return exitCodes.ok;
}
