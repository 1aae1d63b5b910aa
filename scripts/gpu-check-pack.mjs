// `node gpu-check-pack.mjs DEST`: the JavaScript half of `gpu-check.sh pack`. Copies @rlhfkit/ppo (which the
// check runs), the workspace packages it depends on, and everything they need at run time into
// DEST/node_modules, flat, as a bare Linux x64 machine needs them: the packages' dist/ builds; onnxruntime-node
// with only its linux/x64 binary; no install-only dependencies, type declarations, source maps or TypeScript
// sources. Fails when two versions of one package are needed (a flat node_modules holds one).
import { cpSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** onnxruntime-node's script/install.js alone uses these (it downloads the CUDA provider). */
const installOnly = new Set(['adm-zip', 'global-agent']);

const dest = process.argv[2];
if (!dest) {
  process.stderr.write('usage: node scripts/gpu-check-pack.mjs DEST\n');
  process.exit(2);
}

/** Where Node would find package `name` when required from package directory `from`. */
function locate(name, from) {
  for (const dir of createRequire(join(from, 'package.json')).resolve.paths(name) ?? []) {
    if (existsSync(join(dir, name, 'package.json'))) return realpathSync(join(dir, name));
  }
  throw new Error(`${name} (needed by ${from}) is not installed: run npx --yes pnpm@10.34.9 install`);
}

const found = new Map(); // name → source directory (workspace packages are links into packages/)
function collect(from) {
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
  for (const name of Object.keys(deps)) {
    if (name.startsWith('@types/') || installOnly.has(name)) continue;
    const src = locate(name, from);
    const seen = found.get(name);
    if (seen && seen !== src) throw new Error(`two versions of ${name} are needed: ${seen} and ${src}`);
    if (seen) continue;
    found.set(name, src);
    collect(src);
  }
}

/** Leave out what does not run: declarations, maps, TS sources, other platforms' binaries, install scripts. */
function keep(src, top) {
  const rel = relative(top, src).split(sep).join('/');
  if (/\.(d\.[cm]?ts|map)$/.test(rel) || /(^|\/)\.[^/]+$/.test(rel)) return false;
  if (basename(top) !== 'onnxruntime-node') return true;
  if (/^(lib|script)(\/|$)/.test(rel)) return false;
  const bin = /^bin\/napi-v6\/([^/]+)(?:\/([^/]+))?/.exec(rel);
  return !bin || (bin[1] === 'linux' && (bin[2] === undefined || bin[2] === 'x64'));
}

let files = 0;
const copy = (src, to) =>
  cpSync(src, to, {
    recursive: true,
    dereference: true,
    filter: (s) => {
      const k = keep(s, src);
      if (k) files++;
      return k;
    },
  });

const ppo = join(root, 'packages', 'ppo');
found.set('@rlhfkit/ppo', ppo);
collect(ppo);
const ours = [...found.keys()].filter((n) => n.startsWith('@rlhfkit/'));
for (const [name, src] of found) {
  if (!name.startsWith('@rlhfkit/')) {
    copy(src, join(dest, 'node_modules', name));
    continue;
  }
  if (!existsSync(join(src, 'dist', 'index.js')))
    throw new Error(`${relative(root, src)} is not built: run npx --yes pnpm@10.34.9 build`);
  copy(join(src, 'dist'), join(dest, 'node_modules', name, 'dist'));
  copy(join(src, 'package.json'), join(dest, 'node_modules', name, 'package.json'));
}
const others = [...found.keys()].filter((n) => !n.startsWith('@rlhfkit/'));
process.stdout.write(
  `gpu-check-pack: ${ours.join(', ')} and ${others.length} dependencies (${others.join(', ')}), ${files} files\n`,
);
