import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The local modules `file` imports statically, types included (a type-only cycle is still a cycle to read). */
function localImports(file: string): string[] {
  const source = readFileSync(`${here}${file}`, 'utf8');
  return [...source.matchAll(/^(?:import|export) [^;]*? from '(\.[^']+)';/gms)]
    .map(([, spec]) => posix.join(posix.dirname(file), spec!).replace(/\.js$/, ''))
    .map((base) => ['.ts', '.tsx'].map((ext) => base + ext).find((f) => existsSync(`${here}${f}`)))
    .filter((f): f is string => f !== undefined);
}

/** An import cycle among the modules reached from `file`, if there is one. */
function findCycle(file: string, path: string[] = [], done = new Set<string>()): string[] | undefined {
  if (path.includes(file)) return [...path.slice(path.indexOf(file)), file];
  if (done.has(file)) return undefined;
  for (const next of localImports(file)) {
    const cycle = findCycle(next, [...path, file], done);
    if (cycle) return cycle;
  }
  done.add(file);
  return undefined;
}

/** Modules reached from `file` (relative to src/) through static, non-type imports (import() is not followed). */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(`${here}${file}`, 'utf8');
  for (const [, spec] of source.matchAll(/^(?:import|export) (?!type )[^;]*? from '([^']+)';/gms)) {
    if (!spec?.startsWith('.')) {
      seen.add(spec ?? '');
      continue;
    }
    const base = posix.join(posix.dirname(file), spec).replace(/\.js$/, '');
    const local = ['.ts', '.tsx'].map((ext) => base + ext).find((f) => existsSync(`${here}${f}`));
    if (local) staticGraph(local, seen);
  }
  return seen;
}

describe('startup', () => {
  it('loads no Ink or React for --help, eval, compare or a job without a terminal', () => {
    const graph = staticGraph('cli.tsx');
    expect(graph.has('main.ts')).toBe(true);
    expect(graph.has('inspect.ts')).toBe(true);
    for (const heavy of ['ink', 'react', '@inkjs/ui', 'yaml', 'ink-apps.tsx', 'LiveJob.tsx']) {
      expect(graph.has(heavy), `${heavy} is imported statically from cli.tsx`).toBe(false);
    }
  });

  it("reads the packages' option schemas through their zod-only entries, not the engine", () => {
    const graph = staticGraph('cli.tsx');
    expect(graph.has('jobs/specs.ts') && graph.has('commands/generate.ts')).toBe(true);
    expect(graph.has('@rlhfkit/ppo/config')).toBe(true);
    for (const heavy of [
      '@rlhfkit/engine',
      '@rlhfkit/model',
      '@rlhfkit/ppo',
      '@rlhfkit/reward-model',
      'jobs/ppo.ts',
    ]) {
      expect(graph.has(heavy), `${heavy} is imported statically from cli.tsx`).toBe(false);
    }
  });

  it('has no import cycle among its modules', () => {
    for (const entry of [
      'cli.tsx',
      'index.ts',
      'job-worker.ts',
      'ink-apps.tsx',
      'jobs/ppo.ts',
      'jobs/demo.ts',
    ]) {
      expect(findCycle(entry), entry).toBeUndefined();
    }
  });
});
