/**
 * `rlhf generate --model DIR`: completions from any model directory, for one --prompt (printed) or for every
 * row of a --prompts file (JSON lines {prompt, completion, ...the row's other columns} to --out or stdout).
 * The sampling flags are the model package's generation schema.
 */
import { generationConfigSchema } from '@rlhfkit/model/configs';
import { z } from 'zod';
import { commandHelp } from '../help.js';
import { exitCodes, type Io } from '../io.js';
import { type CommandSpec, pick, runtimeOptions } from '../jobs/specs.js';
import { fieldsOf, parseCommandArgs, resolvePaths, validateOptions } from '../options.js';

const doc = (group: string, description: string) => ({ group, description });
const path = (group: string, description: string) =>
  z
    .string()
    .min(1)
    .meta({ ...doc(group, description), path: true });

const schema = z.strictObject({
  model: path('inputs', 'model directory (HF layout: config.json, model.safetensors, tokenizer.json)'),
  prompt: z.string().optional().meta(doc('inputs', 'one prompt; its completions are printed')),
  prompts: path('inputs', 'prompt rows {"prompt", ...} in .jsonl, .json or .parquet').optional(),
  out: path('output', 'write the JSON lines here (default: stdout)').optional(),
  ...generationConfigSchema.shape,
  ...runtimeOptions.shape,
});

export const generateCommandSpec: CommandSpec = {
  name: 'generate',
  summary: 'sample completions from a model directory, for a prompt or a file of prompts',
  schema,
  check: (o) =>
    (o['prompt'] === undefined) === (o['prompts'] === undefined)
      ? [{ path: ['prompt'], message: 'give exactly one of --prompt TEXT and --prompts FILE' }]
      : [],
};

export async function generateCommand(argv: string[], io: Io): Promise<number> {
  const fields = fieldsOf(schema);
  const args = parseCommandArgs(argv, fields);
  if (args.common.help) {
    io.stdout.write(commandHelp(generateCommandSpec));
    return exitCodes.ok;
  }
  const o = resolvePaths(
    validateOptions('generate', schema, args, generateCommandSpec.check),
    fields,
    io.cwd,
  );
  const { generateCompletions } = await import('./generate-run.js');
  const rows = await generateCompletions(o, pick(generationConfigSchema, o));
  const lines = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (typeof o['out'] === 'string') {
    const { writeFileAtomic } = await import('@rlhfkit/io');
    await writeFileAtomic(o['out'], lines);
    io.stderr.write(`wrote ${rows.length} completions to ${o['out']}\n`);
  } else if (typeof o['prompt'] === 'string' && !args.common.json) {
    io.stdout.write(rows.map((r) => `${r.completion}\n`).join(''));
  } else io.stdout.write(lines);
  return exitCodes.ok;
}
