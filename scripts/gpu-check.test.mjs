// The GPU check's dry run, in CI: pack what a bare machine needs (uncompressed, without the Vulkan download,
// from the packages as built), then run the packed check on the CPU at toy size with a bare environment, as
// the device machine would run it. What the GPU run adds is only the device (scripts/GPU.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./gpu-check.sh', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gpu-check-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(`${process.platform}/${process.arch}` !== 'linux/x64')('gpu-check.sh', () => {
  it('packs the built packages with onnxruntime-node pruned to its linux/x64 binary', () => {
    execFileSync('bash', [script, 'pack', join(work, 'pack'), '--no-xz', '--no-vulkan', '--no-build'], {
      stdio: 'pipe',
    });
    const app = join(work, 'pack', 'app');
    // What the check imports, and the workspace packages those depend on; nothing else of ours.
    const ours = readdirSync(join(app, 'node_modules', '@rlhfkit'));
    expect(ours).toEqual(expect.arrayContaining(['engine', 'model', 'ppo', 'reward-model']));
    expect(ours).not.toContain('tui');
    const ort = join(app, 'node_modules', 'onnxruntime-node');
    expect(readdirSync(join(ort, 'bin', 'napi-v6'))).toEqual(['linux']);
    expect(readdirSync(join(ort, 'bin', 'napi-v6', 'linux'))).toEqual(['x64']);
    expect(existsSync(join(app, 'node_modules', 'adm-zip'))).toBe(false); // install-script only
    expect(existsSync(join(app, 'bin', 'node'))).toBe(true);
  });

  it('runs the packed check on the CPU: parity, greedy, placement and timed PPO iterations', () => {
    const out = join(work, 'out');
    const stdout = execFileSync(
      'bash',
      [script, 'run', join(work, 'pack'), '--device', 'cpu', '--config', 'dry', '--iterations', '3'],
      { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: work, OUT: out } },
    );
    // With OUT set the log goes to stdout too (tee); the result is the one JSON line.
    const r = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{"check"')));
    expect(JSON.parse(readFileSync(join(out, 'gpu-check.json'), 'utf8'))).toEqual(r);
    expect(readFileSync(join(out, 'gpu-check.log'), 'utf8')).toContain('gpu-check: parity…');
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ check: 'gpu-check', device: 'cpu', packed: true, ort: '1.30.0', passed: true });
    expect(r.detect.sessions.cuda.opens).toBe(false); // npm's onnxruntime-node has no CUDA provider
    expect(r.detect.sessions.cuda.error).toContain('libonnxruntime_providers_cuda.so is missing');
    expect(r.parity).toMatchObject({ passed: true, lossRel: 0, paramsRel: 0 });
    expect(Number.isFinite(r.parity.loss.cpu)).toBe(true);
    expect(r.greedy).toMatchObject({ identical: true, rows: 4 });
    const train = r.placement.programs.train;
    expect(Object.keys(train.nodes)).toEqual(['CPUExecutionProvider']);
    expect(train.cpuOps['MatMul'] + (train.cpuOps['FusedMatMul'] ?? 0)).toBeGreaterThan(0);
    for (const phase of ['generate', 'score', 'train']) {
      expect(r.ppo.perIteration[phase]).toHaveLength(3);
      expect(r.ppo.steady[phase]).toBeGreaterThan(0);
    }
  });
});
