// Checks that every package works from plain Node once built: imports resolve to dist/ (no test runner,
// no source condition), and the rlhf bin starts.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkgs = ['io', 'engine', 'core', 'model', 'reward-model', 'ppo', 'serve', 'dpo'];
const selfResolving = new Set(['serve', 'dpo']); // not yet dependencies of the TUI
for (const p of pkgs) {
  // Resolve from the TUI, which depends on every package (those not yet its dependencies resolve themselves).
  const code = `import('@rlhfkit/${p}').then(m => { if (Object.keys(m).length === 0) process.exit(3) })`;
  execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: selfResolving.has(p) ? `${root}/packages/${p}` : `${root}/apps/tui`,
    stdio: 'inherit',
  });
}
const help = execFileSync(process.execPath, [`${root}/apps/tui/dist/cli.js`, '--help'], { encoding: 'utf8' });
if (!help.includes('rlhf')) throw new Error(`rlhf --help printed no usage:\n${help}`);
// A job's flags come from its package's zod-only config entry (@rlhfkit/ppo/config), resolved from dist/.
const ppoHelp = execFileSync(process.execPath, [`${root}/apps/tui/dist/cli.js`, 'ppo', '--help'], {
  encoding: 'utf8',
});
if (!ppoHelp.includes('--kl-coef')) throw new Error(`rlhf ppo --help lists no --kl-coef:\n${ppoHelp}`);
console.log(`smoke-dist: ${pkgs.length + 2} passed, 0 failed`);
