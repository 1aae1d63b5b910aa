// Which operators ONNX Runtime runs where: the GPU check's placement phase. gpu-check-run.mjs runs this file
// (`node gpu-check-placement.mjs DIR DEVICE CONFIG THREADS`): one train step, one generation and one scoring
// batch on DEVICE with the CPU fallback allowed and ORT's profiler on; the profiles land in DIR when this
// process exits, and the runner then reads them with summarize (ORT tags every node it timed with the
// provider that ran it).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configs, loadPackages, makeSetup, updateStep } from './gpu-check-setup.mjs';

/** Per program: nodes per provider, and the operators of the nodes that ran on the CPU beside the device. */
export function summarize(dir) {
  const programs = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const name = file.replace(/_\d{4}-.*$/, '');
    const nodes = new Map(); // node name → [provider, op]
    for (const e of JSON.parse(readFileSync(join(dir, file), 'utf8'))) {
      if (e.cat === 'Node' && e.args?.provider)
        nodes.set(e.name.replace(/_kernel_time$/, ''), [e.args.provider, e.args.op_name]);
    }
    const byProvider = {};
    const cpuOps = {};
    for (const [provider, op] of nodes.values()) {
      byProvider[provider] = (byProvider[provider] ?? 0) + 1;
      if (provider === 'CPUExecutionProvider') cpuOps[op] = (cpuOps[op] ?? 0) + 1;
    }
    programs[name] = { nodes: byProvider, cpuOps };
  }
  return programs;
}

async function main([dir, device, config, threads]) {
  const x = configs[config];
  const pk = await loadPackages();
  const s = makeSetup(pk, x);
  const warnings = [];
  process.on('warning', (w) => w.code?.startsWith('RLHFKIT_') && warnings.push(w.code));
  const rt = (name) => ({
    device,
    threads: Number(threads),
    allowCpuFallback: true,
    profilePrefix: join(dir, name),
  });
  const step = updateStep(pk, s, x);
  await step.updater(rt('train')).run(step.batch);
  await s.policy(rt('generate')).generateWithLogProbs(s.promptIds, { maxNewTokens: x.greedy, seed: 1 });
  await s.rewardModel(rt('score')).scoreTokens(s.promptIds);
  await new Promise((r) => setImmediate(r)); // let the warnings arrive
  process.stdout.write(`${JSON.stringify({ warnings: [...new Set(warnings)] })}\n`);
}

// Run as a script (not when gpu-check-run.mjs imports summarize).
if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
