import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on TypeScript source: each workspace package (and subpath entry) resolves to the file its
// "@rlhfkit/source" export condition names (plain Node and dist builds ignore that condition).
const pkgs = ['io', 'engine', 'core', 'model', 'reward-model', 'ppo', 'serve', 'dpo'];
const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const alias = [
  { find: /^@rlhfkit\/engine\/testing$/, replacement: src('engine/src/testing/gradcheck.ts') },
  ...pkgs.map((p) => ({ find: new RegExp(`^@rlhfkit/${p}$`), replacement: src(`${p}/src/index.ts`) })),
];

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
