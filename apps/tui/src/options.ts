/**
 * Command-line options at the edge: flags derived from a command's zod schema (each field's description and
 * help group come from its metadata; camelCase keys become kebab-case flags), parsed with node:util parseArgs
 * and merged over an optional --config file (JSON or YAML, the same keys), then validated by the schema.
 * Every mistake becomes a UsageError that names the flag or config field and says what to do; a package's
 * message that names a field by its config key names it by its flag here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ZodObject, z } from 'zod';
import { UsageError } from './io.js';

export interface FieldSpec {
  /** Option key, camelCase. */
  key: string;
  /** Flag without dashes, kebab-case. */
  flag: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'array';
  /** For arrays: the element type (a repeatable flag; numbers may also be given comma-separated). */
  items?: 'string' | 'number';
  choices?: string[];
  default?: unknown;
  required: boolean;
  description: string;
  /** Help section, from the field's metadata (`.meta({ group })`). */
  group: string;
  /** A file or directory (`.meta({ path: true })`): resolved against the working directory. */
  path: boolean;
}

/** Flags every command takes, beside its schema's. */
export interface CommonFlags {
  config?: string;
  json: boolean;
  help: boolean;
}

export interface ParsedArgs {
  /** Options before validation: config values, then flags over them. */
  raw: Record<string, unknown>;
  /** Where each option came from, to name it in errors. */
  sources: Record<string, 'flag' | 'config'>;
  positionals: string[];
  common: CommonFlags;
}

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const camel = (flag: string): string =>
  flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

interface JsonSchemaProp {
  type?: string;
  enum?: string[];
  default?: unknown;
  description?: string;
  group?: string;
  path?: boolean;
  items?: { type?: string };
}

/** The fields of a command's schema, in declaration order, read through zod's JSON Schema export. */
export function fieldsOf(schema: ZodObject): FieldSpec[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, JsonSchemaProp>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([key, p]) => {
    const type = p.enum ? 'enum' : (p.type as FieldSpec['type']);
    const spec: FieldSpec = {
      key,
      flag: kebab(key),
      type,
      required: (json.required ?? []).includes(key) && p.default === undefined,
      description: p.description ?? '',
      group: p.group ?? 'options',
      path: p.path === true,
    };
    if (p.enum) spec.choices = p.enum;
    if (type === 'array') spec.items = p.items?.type === 'string' ? 'string' : 'number';
    if (p.default !== undefined) spec.default = p.default;
    return spec;
  });
}

const numeric = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Parse argv for a command with the given fields. Numbers are converted here; zod checks them after. */
export function parseCommandArgs(argv: string[], fields: FieldSpec[], positionals = false): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    config: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const f of fields) {
    options[f.flag] = {
      type: f.type === 'boolean' ? 'boolean' : 'string',
      ...(f.type === 'array' ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options,
      allowPositionals: positionals,
      allowNegative: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(err, Object.keys(options)));
  }
  const { config, json, help, ...rest } = parsed.values;
  const raw: Record<string, unknown> = {};
  const sources: ParsedArgs['sources'] = {};
  if (typeof config === 'string') {
    for (const [key, value] of Object.entries(loadConfigFile(config))) {
      raw[key] = value;
      sources[key] = 'config';
    }
  }
  for (const [flag, value] of Object.entries(rest)) {
    const field = fields.find((f) => f.flag === flag);
    if (!field || value === undefined) continue;
    const isNumber = field.type === 'number' || field.type === 'integer';
    if (Array.isArray(value)) raw[field.key] = field.items === 'number' ? numberList(value) : value;
    else
      raw[field.key] = isNumber && typeof value === 'string' && numeric.test(value) ? Number(value) : value;
    sources[field.key] = 'flag';
  }
  const common: CommonFlags = { json: json === true, help: help === true };
  if (typeof config === 'string') common.config = config;
  return { raw, sources, positionals: parsed.positionals, common };
}

/** `--w 1 --w 0.5` or `--w 1,0.5`: numbers where they parse, the text otherwise (zod then names it). */
const numberList = (values: unknown[]): unknown[] =>
  values
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .map((v) => (numeric.test(v) ? Number(v) : v));

function describeParseError(err: unknown, known: string[]): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const name = /'(-[^' ]*)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const guess = closest(name.replace(/^-+/, ''), known);
    return `unknown option ${name}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${name} needs a value, as in ${name} <value>`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}: options are given as --name value`;
  }
  return message.split('\n')[0] ?? message;
}

/** The known name within edit distance 2, if any. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** yaml is loaded only when a YAML config is read, to keep the CLI quick to start. */
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

/** Read a JSON or YAML config file into camelCase keys. */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(
      `--config: cannot read ${path}${code === 'ENOENT' ? ': no such file' : ` (${code})`}`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const what = path.endsWith('.json') ? 'JSON' : 'YAML';
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new UsageError(`--config: ${path} is not valid ${what}: ${first}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--config: ${path} must hold a mapping of option names to values`);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), v]));
}

/** Options with every path field (and list of paths) made absolute against `cwd`. */
export function resolvePaths(
  options: Record<string, unknown>,
  fields: FieldSpec[],
  cwd: string,
): Record<string, unknown> {
  const out = { ...options };
  for (const f of fields) {
    const v = out[f.key];
    if (!f.path) continue;
    if (typeof v === 'string') out[f.key] = resolve(cwd, v);
    else if (Array.isArray(v)) out[f.key] = v.map((x) => (typeof x === 'string' ? resolve(cwd, x) : x));
  }
  return out;
}

/** A rule across fields, checked once each field is valid: problems by option key. */
export type CrossCheck = (options: Record<string, unknown>) => { path: [string]; message: string }[];

/**
 * Validate merged options against the schema, then the cross-field rules; a UsageError lists every problem
 * by flag or config field.
 */
export function validateOptions<T extends ZodObject>(
  command: string,
  schema: T,
  args: ParsedArgs,
  check?: CrossCheck,
): z.output<T> {
  const result = schema.safeParse(args.raw, { reportInput: true });
  const issues: z.core.$ZodIssue[] = result.success
    ? (check?.(result.data as Record<string, unknown>) ?? []).map((i) => ({
        code: 'custom',
        path: i.path,
        message: i.message,
        input: result.data[i.path[0]],
      }))
    : result.error.issues;
  if (result.success && issues.length === 0) return result.data;
  const keys = Object.keys(schema.shape);
  const lines = issues.map((issue) => flagNames(describeIssue(issue, args), keys));
  lines.push(`Run 'rlhf ${command} --help' to see the options.`);
  throw new UsageError(lines.join('\n'));
}

function describeIssue(issue: z.core.$ZodIssue, args: ParsedArgs): string {
  const key = String(issue.path[0] ?? '');
  const where =
    args.sources[key] === 'config' ? `${kebab(key)} (in ${args.common.config})` : `--${kebab(key)}`;
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `missing ${where}: it is required`;
      return `${where}: expected ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}, got ${show(input)}`;
    case 'invalid_value':
      return `${where}: must be one of ${issue.values.map(String).join(', ')}; got ${show(input)}`;
    case 'too_small':
      return `${where}: must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}; got ${show(input)}`;
    case 'too_big':
      return `${where}: must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}; got ${show(input)}`;
    case 'unrecognized_keys':
      return `${args.common.config ?? 'config'}: unknown field ${issue.keys.map(kebab).join(', ')}; remove it`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * A package's text names fields by config key (minibatchSize); the CLI names them by flag. Only camelCase keys
 * are replaced: one-word keys (clip, prompts, lr) are ordinary words in a sentence too.
 */
export function keysToFlags(text: string, allKeys: string[]): string {
  const keys = allKeys.filter((k) => /[A-Z]/.test(k));
  if (keys.length === 0) return text;
  const pattern = new RegExp(`(?<![-\\w])(${keys.join('|')})(?![\\w-])`, 'g');
  return text.replace(pattern, (k) => `--${kebab(k)}`);
}

/** keysToFlags on a problem's message, after the flag or field it starts with. */
function flagNames(message: string, keys: string[]): string {
  const [where, ...rest] = message.split(': ');
  return rest.length === 0 ? message : [where, keysToFlags(rest.join(': '), keys)].join(': ');
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
