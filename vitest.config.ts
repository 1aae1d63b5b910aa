import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on TypeScript source: each workspace package's entries (the package and its subpaths, such as
// @rlhfkit/engine/testing) resolve to the files their "@rlhfkit/source" export condition names (plain Node and
// dist builds ignore that condition).
const pkgs = ['io', 'engine', 'core', 'model', 'reward-model', 'ppo', 'serve', 'dpo'];
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const alias = pkgs.flatMap((p) => {
  const dir = new URL(`./packages/${p}/`, import.meta.url);
  const { exports } = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
    exports: Record<string, { '@rlhfkit/source': string }>;
  };
  return Object.entries(exports).map(([sub, conditions]) => ({
    find: new RegExp(`^${literal(`@rlhfkit/${p}${sub.slice(1)}`)}$`),
    replacement: fileURLToPath(new URL(conditions['@rlhfkit/source'], dir)),
  }));
});

export default defineConfig({
  resolve: { alias },
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      ...pkgs.map((p) => ({ extends: true, test: { name: p, root: `packages/${p}` } })),
      { extends: true, test: { name: 'tui', root: 'apps/tui' } },
      // The GPU check's dry run (scripts/GPU.md).
      { extends: true, test: { name: 'scripts', root: 'scripts' } },
    ],
  },
});
