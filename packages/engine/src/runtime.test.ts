import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { add, matmul, Program } from './index.js';
import {
  CudaUnavailableError,
  configureRuntime,
  DeviceUnavailableError,
  devices,
  diagnoseCuda,
  getSession,
  missingLibraryHint,
  runtimeDefaults,
  WebGpuUnavailableError,
  webGpuProblem,
} from './runtime.js';

// No Vulkan driver for this test process (vitest runs each file in its own process), so WebGPU finds no
// adapter here even on a machine with a GPU: the Vulkan loader reads these when Dawn first creates an instance.
process.env['VK_DRIVER_FILES'] = '/nonexistent/icd.json';
process.env['VK_ICD_FILENAMES'] = '/nonexistent/icd.json';

const program = () => Program.compile({ a: { shape: [2, 2] } }, ({ a }) => ({ y: add(matmul(a!, a!), a!) }));
const feeds = { a: { data: [1, 2, 3, 4] } };
const expected = [8, 12, 18, 26]; // a @ a + a

const cudaProvider = join(
  dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
  `../bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`,
);

afterEach(() => configureRuntime({ device: 'cpu', allowCpuFallback: false }));

describe('device selection', () => {
  it('lists cpu, webgpu and cuda, and runs on the CPU unless told otherwise', async () => {
    expect(devices).toEqual(['cpu', 'webgpu', 'cuda']);
    expect(runtimeDefaults().device).toBe('cpu');
    const s = await getSession(program().model);
    expect(s.device).toBe('cpu');
    expect(s.cpuNodes).toBe(false);
  });

  it('configureRuntime sets the device of every later program', async () => {
    configureRuntime({ device: 'webgpu' });
    expect(runtimeDefaults().device).toBe('webgpu');
    await expect(program().run(feeds)).rejects.toBeInstanceOf(WebGpuUnavailableError);
    configureRuntime({ device: 'cpu' });
    expect(Array.from((await program().run(feeds))['y']!.data as Float32Array)).toEqual(expected);
  });
});

describe.skipIf(process.platform !== 'linux')('webgpu without an adapter', () => {
  it('throws a DeviceUnavailableError that says what Dawn needs and how to fall back', async () => {
    const err = await getSession(program().model, { device: 'webgpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    const e = err as WebGpuUnavailableError;
    expect(e.name).toBe('DeviceUnavailableError'); // the name the CLI maps to exit 2
    expect(e.device).toBe('webgpu');
    expect(e.kind).toBe('no-adapter');
    expect(e.reason).toMatch(/^Failed to get a WebGPU adapter/);
    expect(e.message).toContain('libvulkan.so.1');
    expect(e.message).toContain('lavapipe is refused');
    expect(e.message).toContain('--allow-cpu-fallback');
  });

  it('with allowCpuFallback runs the program on the CPU and announces it once', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const p = Program.compile({ a: { shape: [2, 2] } }, ({ a }) => ({ y: add(matmul(a!, a!), a!) }), {
        device: 'webgpu',
        allowCpuFallback: true,
      });
      const s = await p.load();
      expect(s.device).toBe('cpu');
      expect(Array.from((await p.run(feeds))['y']!.data as Float32Array)).toEqual(expected);
      await getSession(new Uint8Array(program().model), {
        device: 'webgpu',
        allowCpuFallback: true,
        threads: 1,
      });
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'RLHFKIT_WEBGPU_FALLBACK');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toContain('webgpu unavailable, running on the CPU');
  });

  it('tells a missing adapter from operators that have no WebGPU kernel', () => {
    const strict =
      '[ONNXRuntimeError] : 1 : FAIL : This session contains graph nodes that are assigned to the default CPU ' +
      'EP, but fallback to CPU EP has been explicitly disabled by the user.';
    expect(webGpuProblem(strict)).toBe('cpu-nodes');
    expect(webGpuProblem('Failed to get a WebGPU adapter: No supported adapters')).toBe('no-adapter');
    expect(webGpuProblem('Invalid argument')).toBe('other');
    expect(new WebGpuUnavailableError(strict).message).toContain('no WebGPU kernel');
  });
});

describe('cuda', () => {
  it.skipIf(existsSync(cudaProvider))(
    'without the CUDA provider, names the missing library and the command that installs it',
    async () => {
      const err = await getSession(program().model, { device: 'cuda' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CudaUnavailableError);
      const e = err as CudaUnavailableError;
      expect(e.name).toBe('DeviceUnavailableError');
      expect(e.device).toBe('cuda');
      expect(e.message).toContain(cudaProvider.split('/').at(-1));
      expect(e.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    },
  );

  it('diagnoses a provider folder without the provider', () => {
    if (!['linux/x64', 'win32/x64'].includes(`${process.platform}/${process.arch}`)) return;
    const dir = mkdtempSync(join(tmpdir(), 'ort-bin-'));
    expect(diagnoseCuda(dir)).toMatch(/libonnxruntime_providers_cuda\.so is missing/);
  });

  it('says where each library the CUDA 12 provider links against comes from', () => {
    expect(missingLibraryHint('libcublasLt.so.12')).toMatch(/CUDA 12 runtime libraries.*\.so\.13\) do not/s);
    expect(missingLibraryHint('libcudnn.so.9')).toContain('cuDNN 9 for CUDA 12');
    expect(missingLibraryHint('libcuda.so.1')).toContain('no NVIDIA driver');
  });
});
