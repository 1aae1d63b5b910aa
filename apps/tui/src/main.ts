/**
 * The `rlhf` command: dispatch to a subcommand and turn every outcome into an exit code. User mistakes are
 * one clear message and exit 2, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobKind } from '@rlhfkit/io';
import { exportCommand, exportCommandSpec } from './commands/export.js';
import { generateCommand, generateCommandSpec } from './commands/generate.js';
import { serveRewardCommand, serveRewardCommandSpec } from './commands/serve-reward.js';
import { fakeJobOptions, runFakeJob } from './fake-job.js';
import { commandHelp, mainHelp } from './help.js';
import { compareCommand, compareCommandSpec, evalCommand, evalCommandSpec } from './inspect.js';
import { exitCodes, type Io, isInteractive, UsageError } from './io.js';
import { type CommandSpec, type JobRunner, jobKinds, jobSpecs } from './jobs/specs.js';
import { fieldsOf, parseCommandArgs, resolvePaths, validateOptions } from './options.js';
import { runJob } from './run-job.js';
import { discoverRuns } from './runs.js';
import { jobs } from './worker-runner.js';

const fakeJobSpec: CommandSpec = {
  name: '_fake-job',
  summary: 'a scripted demo-shaped event stream (about 5 s) for checking the TUI; no training',
  schema: fakeJobOptions,
};

/** Every command, in the order `rlhf --help` lists them. */
const commands = (): CommandSpec[] => [
  ...jobKinds.map((k) => jobSpecs[k]),
  generateCommandSpec,
  exportCommandSpec,
  serveRewardCommandSpec,
  evalCommandSpec,
  compareCommandSpec,
];

const isJobKind = (s: string): s is JobKind => (jobKinds as readonly string[]).includes(s);

export async function main(argv: string[], io: Io): Promise<number> {
  const [command] = argv;
  try {
    return await dispatch(argv, io);
  } catch (err) {
    const where = command && !command.startsWith('-') ? `rlhf ${command}` : 'rlhf';
    if (err instanceof UsageError) {
      io.stderr.write(`${where}: ${err.message}\n`);
      return exitCodes.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    const stack =
      io.env['RLHF_DEBUG'] && err instanceof Error ? `\n${err.stack}` : ' (RLHF_DEBUG=1 shows the stack)';
    io.stderr.write(`${where}: unexpected error: ${message}${stack}\n`);
    return exitCodes.failed;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    if (isInteractive(io)) return home(io);
    io.stderr.write(mainHelp(commands()));
    return exitCodes.usage;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    io.stdout.write(mainHelp(commands()));
    return exitCodes.ok;
  }
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    io.stdout.write(`${pkg.version}\n`);
    return exitCodes.ok;
  }
  if (isJobKind(command)) return jobCommand(jobSpecs[command], jobs[command], rest, io);
  if (command === 'generate') return generateCommand(rest, io);
  if (command === 'export') return exportCommand(rest, io);
  if (command === 'serve-reward') return serveRewardCommand(rest, io);
  if (command === 'eval') return evalCommand(rest, io);
  if (command === 'compare') return compareCommand(rest, io);
  if (command === '_fake-job') return jobCommand(fakeJobSpec, runFakeJob, rest, io);
  throw new UsageError(`unknown command '${command}'. Run 'rlhf --help' for the commands.`);
}

async function jobCommand(spec: CommandSpec, runner: JobRunner, argv: string[], io: Io): Promise<number> {
  const fields = fieldsOf(spec.schema);
  const args = parseCommandArgs(argv, fields);
  if (args.common.help) {
    io.stdout.write(commandHelp(spec));
    return exitCodes.ok;
  }
  const options = resolvePaths(validateOptions(spec.name, spec.schema, args, spec.check), fields, io.cwd);
  return startJob(spec.name, runner, options, io, args.common.json);
}

function startJob(
  name: string,
  runner: JobRunner,
  options: Record<string, unknown>,
  io: Io,
  json: boolean,
): Promise<number> {
  // Every real job writes a run directory; the default is runs/<kind>-<date>-<time> under the cwd.
  const withOut =
    isJobKind(name) && options['out'] === undefined ? { ...options, out: defaultOut(name, io.cwd) } : options;
  return runJob({ title: name, runner, options: withOut, io, json });
}

export function defaultOut(kind: string, cwd: string, date = new Date()): string {
  const stamp = date.toISOString().replace(/\..*/, '').replace('T', '-').replace(/:/g, '');
  return join(cwd, 'runs', `${kind}-${stamp}`);
}

async function home(io: Io): Promise<number> {
  const { runHome } = await import('./ink-apps.js');
  const action = await runHome(discoverRuns(io.cwd));
  if (action.type === 'job') {
    const fields = fieldsOf(jobSpecs[action.kind].schema);
    return startJob(action.kind, jobs[action.kind], resolvePaths(action.options, fields, io.cwd), io, false);
  }
  if (action.type === 'eval') return evalCommand([action.dir], io);
  if (action.type === 'compare') return compareCommand(action.dirs, io);
  return exitCodes.ok;
}
