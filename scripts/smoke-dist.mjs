// Checks that every package works from plain Node once built: imports resolve to dist/ (no test runner,
// no source condition), and the rlhf bin starts.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkgs = ['io', 'engine', 'core', 'model', 'reward-model', 'ppo', 'serve', 'dpo'];
const selfResolving = new Set(['dpo']); // not yet a dependency of the TUI
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
// rlhf serve-reward as a real process: it answers a request, and SIGINT stops it cleanly (exit 0) with no
// other SIGINT handler in the way.
const server = spawn(
  process.execPath,
  [
    `${root}/apps/tui/dist/cli.js`,
    'serve-reward',
    '--reward-fn',
    'examples/cli/rewards.mjs:cheerful',
    '--port',
    '0',
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
);
let log = '';
server.stderr.on('data', (d) => (log += d));
const exited = once(server, 'exit');
for (let i = 0; i < 300 && !/POST (\S+)/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
const url = /POST (\S+)/.exec(log)?.[1];
if (!url) throw new Error(`rlhf serve-reward did not start:\n${log}`);
const reply = await (
  await fetch(url, { method: 'POST', body: '{"query": ["The sea was calm"], "prompts": ["The sea was"]}' })
).text();
if (reply !== '{"rewards":[1.0],"scores":[1.0],"extra_logs":{}}')
  throw new Error(`serve-reward answered ${reply}`);
server.kill('SIGINT');
const [code] = await exited;
if (code !== 0 || !log.includes('stopped: 1 answered')) throw new Error(`serve-reward exit ${code}:\n${log}`);
console.log(`smoke-dist: ${pkgs.length + 3} passed, 0 failed`);
