/** --help text, generated from the command schemas: flags grouped by section, with type, default and description. */
import type { CommandSpec } from './jobs/specs.js';
import { type FieldSpec, fieldsOf, keysToFlags } from './options.js';

const common: [string, string][] = [
  ['--config <file>', 'JSON or YAML file with any of the options above (same names); flags override it'],
  ['--json', 'no TUI: print every event as one JSON line on stdout'],
  ['-h, --help', 'show this help'],
];

/** Section titles, in the order sections print; a group not listed prints after these, titled by its name. */
const sections: [string, string][] = [
  ['inputs', 'Inputs'],
  ['reward', 'Reward'],
  ['model', 'Model (a new one)'],
  ['algorithm', 'Algorithm'],
  ['rollout', 'Rollout and sampling'],
  ['sampling', 'Sampling'],
  ['optimization', 'Optimization'],
  ['loss', 'Loss'],
  ['kl', 'KL penalty'],
  ['evaluation', 'Evaluation'],
  ['server', 'Server'],
  ['limits', 'Limits'],
  ['batching', 'Batching'],
  ['run', 'Run'],
  ['output', 'Output'],
];

/** Choices longer than this go into the description, to keep the type column narrow. */
const choicesWidth = 24;

function typeOf(f: FieldSpec): string {
  if (f.type === 'enum') {
    const choices = (f.choices ?? []).join('|');
    return choices.length > choicesWidth ? 'choice' : choices;
  }
  if (f.type === 'array') return `${f.items === 'string' ? 'string' : 'number'}...`;
  return f.type === 'integer' ? 'int' : f.type;
}

function flagOf(f: FieldSpec): string {
  if (f.type === 'boolean') return `--${f.flag}`;
  const placeholder =
    f.type === 'enum'
      ? 'name'
      : f.type === 'array'
        ? f.items === 'number'
          ? 'x,y...'
          : 'spec'
        : f.type === 'string'
          ? f.path
            ? 'path'
            : 'text'
          : typeOf(f);
  return `--${f.flag} <${placeholder}>`;
}

/** The field's description, naming other fields by their flags, with long choice lists appended. */
function describe(f: FieldSpec, keys: string[]): string {
  const text = keysToFlags(
    f.description,
    keys.filter((k) => k !== f.key),
  );
  const choices = (f.choices ?? []).join(', ');
  return f.type === 'enum' && typeOf(f) === 'choice' ? `${text} (one of ${choices})` : text;
}

function defaultOf(f: FieldSpec): string {
  if (f.required) return 'required';
  if (f.default === undefined || (Array.isArray(f.default) && f.default.length === 0)) return '-';
  return String(f.default);
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

/** The fields of a command by section, sections in help order. */
export function fieldGroups(fields: FieldSpec[]): [string, FieldSpec[]][] {
  const names = [...new Set(fields.map((f) => f.group))];
  const rank = (g: string) => {
    const i = sections.findIndex(([name]) => name === g);
    return i < 0 ? sections.length : i;
  };
  return names
    .sort((a, b) => rank(a) - rank(b))
    .map((g) => [sections.find(([name]) => name === g)?.[1] ?? g, fields.filter((f) => f.group === g)]);
}

export function commandHelp(cmd: CommandSpec): string {
  const fields = fieldsOf(cmd.schema);
  const required = fields.filter((f) => f.required).map((f) => `${flagOf(f)}`);
  const usage = ['rlhf', cmd.name, ...required, cmd.positionals ?? '', fields.length > 0 ? '[options]' : '']
    .filter(Boolean)
    .join(' ');
  const lines = [`Usage: ${usage}`, '', `rlhf ${cmd.name}: ${cmd.summary}`, ''];
  if (fields.length > 0) {
    const keys = fields.map((f) => f.key);
    // One table for all sections, so the columns line up across them.
    const rows: string[][] = [];
    const heads = new Map<number, string>();
    for (const [title, group] of fieldGroups(fields)) {
      heads.set(rows.length, title);
      for (const f of group) rows.push([`  ${flagOf(f)}`, typeOf(f), defaultOf(f), describe(f, keys)]);
    }
    table(rows).forEach((line, i) => {
      const head = heads.get(i);
      if (head) lines.push(`${head}:`);
      lines.push(line);
      if (heads.has(i + 1)) lines.push('');
    });
    lines.push(
      '',
      'Boolean flags also take a --no- form. Config keys are the option names (kebab or camelCase).',
      '',
    );
  }
  lines.push('Common:');
  const flags = [...(cmd.extra ?? []), ...(fields.length > 0 ? common : common.slice(1))];
  lines.push(...table(flags.map(([flag, text]) => [`  ${flag}`, text])));
  return `${lines.join('\n')}\n`;
}

export function mainHelp(commands: CommandSpec[]): string {
  const rows = commands.map((c) => [`  ${c.name}${c.positionals ? ` ${c.positionals}` : ''}`, c.summary]);
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
