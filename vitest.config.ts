import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on TypeScript source: each workspace package resolves to its src/index.ts through the
// "@rlhfkit/source" export condition (plain Node and dist builds ignore that condition).
const pkgs = ['engine', 'core', 'model', 'reward-model', 'ppo', 'serve', 'dpo'];
const alias = Object.fromEntries(
  pkgs.map((p) => [`@rlhfkit/${p}`, fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      ...pkgs.map((p) => ({ extends: true, test: { name: p, root: `packages/${p}` } })),
      { extends: true, test: { name: 'tui', root: 'apps/tui' } },
    ],
  },
});
