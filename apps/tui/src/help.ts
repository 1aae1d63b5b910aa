/** --help text, generated from the command schemas: flag, type, default, description. */
import { type CommandSpec, jobKinds, jobSpecs } from './jobs.js';
import { type FieldSpec, fieldsOf } from './options.js';

export interface NamedCommand extends CommandSpec {
  name: string;
  /** Flag lines beside the schema's (name, description). */
  extra?: [string, string][];
}

const common: [string, string][] = [
  ['--config <file>', 'JSON or YAML file with any of the options above; flags override it'],
  ['--json', 'no TUI: print every event as one JSON line on stdout'],
  ['-h, --help', 'show this help'],
];

function typeOf(f: FieldSpec): string {
  if (f.type === 'enum') return (f.choices ?? []).join('|');
  return f.type === 'integer' ? 'int' : f.type;
}

function flagOf(f: FieldSpec): string {
  if (f.type === 'boolean') return `--${f.flag}`;
  const placeholder = f.type === 'enum' ? 'name' : f.type === 'string' ? 'path' : typeOf(f);
  return `--${f.flag} <${placeholder}>`;
}

function defaultOf(f: FieldSpec): string {
  if (f.required) return 'required';
  return f.default === undefined ? '-' : String(f.default);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function commandHelp(cmd: NamedCommand): string {
  const fields = fieldsOf(cmd.schema);
  const required = fields.filter((f) => f.required).map((f) => `${flagOf(f)}`);
  const usage = ['rlhf', cmd.name, ...required, cmd.positionals ?? '', fields.length > 0 ? '[options]' : '']
    .filter(Boolean)
    .join(' ');
  const lines = [`Usage: ${usage}`, '', `rlhf ${cmd.name}: ${cmd.summary}`, ''];
  if (fields.length > 0) {
    lines.push('Options:');
    const rows = [['  flag', 'type', 'default', 'description']];
    for (const f of fields) rows.push([`  ${flagOf(f)}`, typeOf(f), defaultOf(f), f.description]);
    lines.push(...table(rows), '');
    lines.push(
      'Boolean flags also take a --no- form. Config keys are the flag names (kebab or camelCase).',
      '',
    );
  }
  lines.push('Common:');
  const flags = [...(cmd.extra ?? []), ...(fields.length > 0 ? common : common.slice(1))];
  lines.push(...table(flags.map(([flag, text]) => [`  ${flag}`, text])));
  return `${lines.join('\n')}\n`;
}

export function mainHelp(extra: NamedCommand[]): string {
  const rows = [
    ...jobKinds.map((k) => [`  ${k}`, jobSpecs[k].summary]),
    ...extra.map((c) => [`  ${c.name}${c.positionals ? ` ${c.positionals}` : ''}`, c.summary]),
  ];
  return [
    'rlhf: train, fine-tune and inspect small language models with RLHF, from the terminal.',
    '',
    'Usage: rlhf                      open the interactive home screen (in a terminal)',
    '       rlhf <command> [options]',
    '',
    'Commands:',
    ...table(rows),
    '',
    "Run 'rlhf <command> --help' for a command's options. In a terminal a job shows a live view",
    '(p pause/resume, s save, q stop, ? help); in pipes and CI it prints plain lines, or JSON with --json.',
    'Exit codes: 0 done, 1 job failed, 2 usage or config error, 130 interrupted.',
    '',
  ].join('\n');
}
