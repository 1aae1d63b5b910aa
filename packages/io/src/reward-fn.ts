/**
 * Rewards from code, the one loader every reward-function user shares (`rlhf ppo --reward-fn`, the reward
 * server `rlhf serve-reward --reward-fn`, ppo's rule scorers): load `FILE.mjs[:name]`, a module exporting
 * `(prompt, completion, row) => number | Promise<number>`, and call it safely. `row` carries the sample's other
 * columns (TRL hands a reward function the dataset's extra columns the same way; the reward server passes
 * OpenRLHF's label as `row.label`). Loading mistakes (no file, syntax error, no such export, not a function)
 * throw RewardFnError naming the file and what to do; a call that throws, returns a non-number or does not
 * settle within the timeout rejects with an Error naming the function and the sample.
 */
import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export type RewardFnRow = Record<string, unknown>;
export type RewardFn = (prompt: string, completion: string, row: RewardFnRow) => number | Promise<number>;

export interface LoadedRewardFn {
  /** A short name for logs and metrics (`rewards/<name>/mean`): the export, or the file's stem for `default`. */
  name: string;
  /** Where it came from, `path/to/file.mjs:exportName`, for messages. */
  source: string;
  fn: RewardFn;
}

export interface RewardFnSample {
  prompt: string;
  completion: string;
  row: RewardFnRow;
}

/** A reward-function spec the user can fix (missing file, bad export): print the message, exit 2. */
export class RewardFnError extends Error {
  override name = 'RewardFnError';
}

/** `dir/f.mjs:name` → file and export; no `:name` (or a Windows drive colon) → the default export. */
export function parseRewardFnSpec(spec: string): { file: string; exportName: string } {
  const m = /^(.+):([A-Za-z_$][\w$]*)$/.exec(spec);
  // `C:x` is a drive letter, not a file `C` with export `x`.
  if (m && m[1]!.length > 1) return { file: m[1]!, exportName: m[2]! };
  if (spec === '')
    throw new RewardFnError('reward function: empty spec; give FILE.mjs or FILE.mjs:exportName');
  return { file: spec, exportName: 'default' };
}

/** Import a reward function module and pick its export. */
export async function loadRewardFn(spec: string, cwd = process.cwd()): Promise<LoadedRewardFn> {
  const { file, exportName } = parseRewardFnSpec(spec);
  const path = resolve(cwd, file);
  const source = `${file}:${exportName}`;
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new RewardFnError(`reward function ${file}: no such file (looked at ${path})`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new RewardFnError(
      `reward function ${file} failed to load: ${(err as Error).message}. It must be an ES module (.mjs, ` +
        `or .js under "type": "module") exporting (prompt, completion, row) => number`,
    );
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const fns = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    const have = fns.length > 0 ? `its function exports: ${fns.join(', ')}` : 'it exports no functions';
    const what =
      fn === undefined ? `has no export '${exportName}'` : `export '${exportName}' is not a function`;
    throw new RewardFnError(
      `reward function ${file} ${what} (${have}); pick one with ${file}:NAME, or export default ` +
        `(prompt, completion, row) => number`,
    );
  }
  const name = exportName === 'default' ? basename(file, extname(file)) : exportName;
  return { name, source, fn: fn as RewardFn };
}

/**
 * Score samples with a reward function, all calls at once; one number per sample, in order. Rejects with the
 * first failure: a throw, a non-finite or non-number result, or no answer within timeoutMs (no limit when
 * undefined).
 */
export async function callRewardFn(
  f: LoadedRewardFn,
  samples: readonly RewardFnSample[],
  timeoutMs?: number,
): Promise<number[]> {
  return Promise.all(samples.map((s, i) => callOne(f, s, i, timeoutMs)));
}

async function callOne(
  f: LoadedRewardFn,
  s: RewardFnSample,
  i: number,
  timeoutMs: number | undefined,
): Promise<number> {
  const late = new Error(`reward function ${f.source} did not return within ${timeoutMs} ms on sample ${i}`);
  let timer: NodeJS.Timeout | undefined;
  let v: unknown;
  try {
    v = await Promise.race([
      Promise.resolve().then(() => f.fn(s.prompt, s.completion, s.row)),
      new Promise<never>((_, reject) => {
        if (timeoutMs !== undefined) timer = setTimeout(() => reject(late), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err === late) throw late;
    throw new Error(
      `reward function ${f.source} threw on sample ${i}: ${(err as Error)?.message ?? String(err)}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(
      `reward function ${f.source} returned ${describe(v)} on sample ${i}; it must return a finite number`,
    );
  return v;
}

const describe = (v: unknown) =>
  typeof v === 'number' ? String(v) : v === null ? 'null' : `a ${typeof v} (${String(v).slice(0, 40)})`;
