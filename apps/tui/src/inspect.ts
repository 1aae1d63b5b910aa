/** `rlhf eval <run dir>` and `rlhf compare <run>...`: reward curves and summary tables of run directories. */
import { z } from 'zod';
import { commandHelp } from './help.js';
import { exitCodes, type Io, isInteractive, UsageError } from './io.js';
import type { CommandSpec } from './jobs/specs.js';
import { fieldsOf, parseCommandArgs } from './options.js';
import { type Block, compareReport, evalReport, renderPlain, runJson } from './report-blocks.js';
import { loadRun } from './runs.js';

const noOptions = z.strictObject({});

export const evalCommandSpec: CommandSpec = {
  name: 'eval',
  summary: 'reward curves and a summary table of one run (finished, going or killed)',
  positionals: '<run dir>',
  schema: noOptions,
  extra: [['--json', 'print the summary as JSON']],
};

export const compareCommandSpec: CommandSpec = {
  name: 'compare',
  summary: 'overlay the curves of several runs and tabulate their metrics',
  positionals: '<run dir>...',
  schema: noOptions,
  extra: [['--json', 'print the summaries as JSON']],
};

async function write(blocks: Block[], io: Io): Promise<void> {
  const width = Math.max(40, (io.stdout.columns ?? 100) - 1);
  if (!isInteractive(io)) {
    io.stdout.write(renderPlain(blocks, width));
    return;
  }
  const { renderReport } = await import('./ink-apps.js');
  io.stdout.write(`${renderReport(blocks, width)}\n`);
}

export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, fieldsOf(noOptions), true);
  if (args.common.help) {
    io.stdout.write(commandHelp(evalCommandSpec));
    return exitCodes.ok;
  }
  if (args.positionals.length !== 1) {
    throw new UsageError(
      `give exactly one run directory, as in: rlhf eval runs/demo-1 (got ${args.positionals.length})`,
    );
  }
  const run = loadRun(args.positionals[0]!, io.cwd);
  if (args.common.json) io.stdout.write(`${JSON.stringify(runJson(run), null, 2)}\n`);
  else await write(evalReport(run), io);
  return exitCodes.ok;
}

export async function compareCommand(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, fieldsOf(noOptions), true);
  if (args.common.help) {
    io.stdout.write(commandHelp(compareCommandSpec));
    return exitCodes.ok;
  }
  if (args.positionals.length === 0)
    throw new UsageError('give one or more run directories, as in: rlhf compare runs/a runs/b');
  const runs = args.positionals.map((p) => loadRun(p, io.cwd));
  if (args.common.json)
    io.stdout.write(`${JSON.stringify({ runs: runs.map((r) => runJson(r)) }, null, 2)}\n`);
  else await write(compareReport(runs), io);
  return exitCodes.ok;
}
