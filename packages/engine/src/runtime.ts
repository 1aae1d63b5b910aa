/**
 * The runtime: the one module that imports onnxruntime-node. It owns sessions (cached by model bytes),
 * execution providers (the CPU by default; WebGPU or CUDA on request), the CPU fallback, threads and native
 * logging. A device that cannot run a program is a DeviceUnavailableError that says what is missing, unless
 * the user allowed the CPU to stand in (allowCpuFallback); every fallback is announced as a process warning.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import type { DType, HostArray } from './dtype.js';

/** Every device, for option parsers (the CLI's --device). */
export const devices = ['cpu', 'webgpu', 'cuda'] as const;
export type Device = (typeof devices)[number];

export interface RuntimeOptions {
  /**
   * Where programs run. 'webgpu': ONNX Runtime's WebGPU provider (Dawn: Vulkan on Linux, Metal on macOS, D3D12
   * on Windows), inside onnxruntime-node, no download. 'cuda': onnxruntime-node's CUDA 12 provider, installed
   * separately (see README).
   */
  device?: Device;
  /** Intra-op threads; 0 lets ORT choose. Bit-identical results are guaranteed for a fixed count. */
  threads?: number;
  /**
   * Let the CPU stand in where the device cannot. Off by default, and then each case below throws a
   * DeviceUnavailableError. On: a session whose device cannot be created (no CUDA provider, no WebGPU adapter)
   * runs wholly on the CPU; with 'webgpu', operators that have no WebGPU kernel run on the CPU beside it (ONNX
   * Runtime copies tensors between them). Each fallback emits a process warning (code RLHFKIT_*_FALLBACK).
   */
  allowCpuFallback?: boolean;
  /** Diagnostics: ORT's per-node profile (Chrome trace JSON), written to `<prefix>_<date>.json` at exit. */
  profilePrefix?: string;
  /** Diagnostics: ORT saves the graph as it optimised it to this path when the session is created. */
  optimizedModelPath?: string;
}

type Settings = Required<Pick<RuntimeOptions, 'device' | 'threads' | 'allowCpuFallback'>> & RuntimeOptions;

export interface HostTensor {
  data: HostArray;
  shape: number[];
  dtype: DType;
}

export interface Session {
  /** Where the session runs: the device asked for, or 'cpu' after a fallback. */
  readonly device: Device;
  /** Some operators run on the CPU beside the device (webgpu with allowCpuFallback). */
  readonly cpuNodes: boolean;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
}

const defaults: Settings = { device: 'cpu', threads: 2, allowCpuFallback: false };

/** Change the defaults every later session uses (device, threads, fallback). */
export function configureRuntime(opts: RuntimeOptions): void {
  Object.assign(defaults, opts);
}

export function runtimeDefaults(): Readonly<Settings> {
  return { ...defaults };
}

// Native kernel logs go to stderr and would tear a TUI; errors still reach us as exceptions.
ort.env.logLevel = 'fatal';
const QUIET = 4;

const cache = new Map<string, Promise<Session>>();

/** A session for model bytes, created once per (bytes, device, threads, fallback). */
export function getSession(model: Uint8Array, opts: RuntimeOptions = {}): Promise<Session> {
  const o = { ...defaults, ...opts };
  const diag = `${o.profilePrefix ?? ''}:${o.optimizedModelPath ?? ''}`;
  const key = `${o.device}:${o.threads}:${o.allowCpuFallback}:${diag}:${createHash('sha1').update(model).digest('hex')}`;
  let s = cache.get(key);
  if (!s) {
    s = createSession(model, o);
    cache.set(key, s);
    s.catch(() => cache.delete(key));
  }
  return s;
}

/** strict: no node may land on the CPU (ORT's session.disable_cpu_ep_fallback). */
function sessionOptions(device: Device, o: Settings, strict: boolean): ort.InferenceSession.SessionOptions {
  const diagnostics: ort.InferenceSession.SessionOptions = {};
  if (o.profilePrefix)
    Object.assign(diagnostics, { enableProfiling: true, profileFilePrefix: o.profilePrefix });
  if (o.optimizedModelPath) diagnostics.optimizedModelFilePath = o.optimizedModelPath;
  const providers = { cpu: ['cpu'], cuda: [{ name: 'cuda', deviceId: 0 }], webgpu: ['webgpu'] }[device];
  return {
    ...diagnostics,
    executionProviders: providers,
    ...(strict ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    logSeverityLevel: QUIET,
  };
}

async function open(model: Uint8Array, device: Device, o: Settings, strict = false): Promise<Session> {
  const s = await ort.InferenceSession.create(model, sessionOptions(device, o, strict));
  return wrap(s, device, device === 'webgpu' && !strict, o);
}

async function createSession(model: Uint8Array, o: Settings): Promise<Session> {
  if (o.device === 'cpu') return open(model, 'cpu', o);
  try {
    return await open(model, o.device, o, o.device === 'webgpu');
  } catch (err) {
    const reason = plain(err instanceof Error ? err.message : String(err));
    const e = o.device === 'cuda' ? new CudaUnavailableError(reason) : new WebGpuUnavailableError(reason);
    if (!o.allowCpuFallback) throw e;
    if (e instanceof WebGpuUnavailableError && e.kind === 'cpu-nodes') {
      warnOnce('RLHFKIT_WEBGPU_CPU_NODES', 'operators with no WebGPU kernel run on the CPU', e.reason);
      return open(model, 'webgpu', o);
    }
    warnOnce(
      `RLHFKIT_${o.device.toUpperCase()}_FALLBACK`,
      `${o.device} unavailable, running on the CPU`,
      e.reason,
    );
    return open(model, 'cpu', o);
  }
}

/** ORT's message without the source location and failed condition in front of it. */
const plain = (msg: string) => msg.replace(/^\/\S+:\d+ [\s\S]*? was false\.\s*/, '').trim();

const warned = new Set<string>();
function warnOnce(code: string, what: string, why: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(`${what}: ${why}`, { code });
}

/** Thrown when a device was asked for and cannot run the program. The CLI maps its name to exit 2. */
export class DeviceUnavailableError extends Error {
  override name = 'DeviceUnavailableError';
  constructor(
    readonly device: Device,
    /** ONNX Runtime's own message (without its source location). */
    readonly reason: string,
    message: string,
  ) {
    super(`${message}\nUse device 'cpu', or allow the fallback (allowCpuFallback / --allow-cpu-fallback).`);
  }
}

export class CudaUnavailableError extends DeviceUnavailableError {
  constructor(reason: string, diagnosis = diagnoseCuda()) {
    super(
      'cuda',
      reason,
      `device 'cuda' was requested but ONNX Runtime could not create the CUDA execution provider: ${reason}` +
        (diagnosis ? `\n${diagnosis}` : ''),
    );
  }
}

/** no-adapter: Dawn found no usable GPU; cpu-nodes: some operators have no WebGPU kernel (fallback off). */
export type WebGpuProblem = 'no-adapter' | 'cpu-nodes' | 'other';

export class WebGpuUnavailableError extends DeviceUnavailableError {
  readonly kind: WebGpuProblem;
  constructor(reason: string) {
    const kind = webGpuProblem(reason);
    const why = {
      'no-adapter':
        `WebGPU found no usable GPU adapter (${reason}). ONNX Runtime's WebGPU provider runs on Dawn, ` +
        'which on Linux needs the Vulkan loader (libvulkan.so.1, package libvulkan1) and the Vulkan driver of a ' +
        "real GPU (NVIDIA's, or Mesa's radv/anv); Mesa's software lavapipe is refused." +
        (vulkanLoaderMissing() ? ' libvulkan.so.1 cannot be loaded on this machine.' : ''),
      'cpu-nodes':
        'the program has operators with no WebGPU kernel in ONNX Runtime, and they may not run on the CPU ' +
        `unless you allow it (${reason})`,
      other: `ONNX Runtime could not create a WebGPU session: ${reason}`,
    }[kind];
    super('webgpu', reason, `device 'webgpu' was requested but ${why}`);
    this.kind = kind;
  }
}

export function webGpuProblem(reason: string): WebGpuProblem {
  if (/WebGPU adapter|No supported adapters|WebGPU device/i.test(reason)) return 'no-adapter';
  if (/fallback to CPU EP has been explicitly disabled/.test(reason)) return 'cpu-nodes';
  return 'other';
}

function vulkanLoaderMissing(): boolean {
  return process.platform === 'linux' && loadError('libvulkan.so.1') !== null;
}

/** dlopen a shared library as ORT would; null when it loads (Node then refuses it as an addon, harmlessly). */
function loadError(path: string, flags = constants.dlopen.RTLD_LAZY): string | null {
  try {
    process.dlopen({ exports: {} }, path, flags);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return /self-register|not a valid Win32|napi_register/i.test(msg) ? null : msg;
  }
  return null;
}

/** The folder onnxruntime-node loads its native libraries from. */
function ortBinDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** What the CUDA provider lacks on this machine, found by loading its libraries; '' when they load. */
export function diagnoseCuda(dir = ortBinDir()): string {
  if (!['linux/x64', 'win32/x64'].includes(`${process.platform}/${process.arch}`))
    return `onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}.`;
  const lib = (name: string) => join(dir, process.platform === 'win32' ? `${name}.dll` : `lib${name}.so`);
  for (const name of ['onnxruntime_providers_cuda', 'onnxruntime_providers_shared']) {
    if (!existsSync(lib(name)))
      return (
        `${lib(name)} is missing: onnxruntime-node's CUDA provider is not installed (npm ships it without). ` +
        'Install it with `ONNXRUNTIME_NODE_INSTALL=cuda12 npx --yes pnpm@10.34.9 rebuild onnxruntime-node`, ' +
        'which downloads Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0 from NuGet (it needs the network).'
      );
  }
  if (process.platform === 'win32') return '';
  const shared = loadError(
    lib('onnxruntime_providers_shared'),
    constants.dlopen.RTLD_LAZY | constants.dlopen.RTLD_GLOBAL,
  );
  const err = shared ?? loadError(lib('onnxruntime_providers_cuda'));
  if (err === null) return '';
  const missing =
    /([\w.+-]+\.(?:so[.\d]*|dll))[^\n]*(?:cannot open shared object file|could not be found)/.exec(err);
  return missing?.[1] ? missingLibraryHint(missing[1]) : `Loading the CUDA provider failed: ${err}`;
}

/** How to get a library the CUDA 12 provider links against. */
export function missingLibraryHint(file: string): string {
  const is = (re: RegExp) => re.test(file);
  const where =
    is(/^libcuda\.so/) || is(/^nvcuda/)
      ? 'the NVIDIA driver (libcuda.so.1): this machine has no NVIDIA driver installed.'
      : is(/cudnn/)
        ? "cuDNN 9 for CUDA 12: install NVIDIA's libcudnn9-cuda-12 package (or pip nvidia-cudnn-cu12) and put its " +
          'lib folder on LD_LIBRARY_PATH.'
        : is(/cudart|cublas|cufft|curand|nvrtc|cupti/)
          ? "the CUDA 12 runtime libraries: install CUDA 12.x (NVIDIA's cuda-libraries-12-x package, or pip " +
            'nvidia-cuda-runtime-cu12 nvidia-cublas-cu12 nvidia-cufft-cu12 nvidia-curand-cu12) and put them on ' +
            'LD_LIBRARY_PATH. CUDA 13 libraries (.so.13) do not satisfy the CUDA 12 provider.'
          : 'its package (see README, GPU).';
  return `The CUDA provider needs ${file}, which the loader cannot find. It comes with ${where}`;
}

function wrap(s: ort.InferenceSession, device: Device, cpuNodes: boolean, o: Settings): Session {
  // ORT writes the profile only on endProfiling; at exit, so that a profiled run needs no extra call.
  if (o.profilePrefix) process.once('exit', () => s.endProfiling());
  const runOptions: ort.InferenceSession.RunOptions = { logSeverityLevel: QUIET };
  return {
    device,
    cpuNodes,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(feeds)) {
        ortFeeds[k] = new ort.Tensor(t.dtype, t.data as never, t.shape);
      }
      const out = await s.run(ortFeeds, runOptions);
      const res: Record<string, HostTensor> = {};
      for (const [k, t] of Object.entries(out)) {
        res[k] = { data: t.data as HostArray, shape: [...t.dims], dtype: t.type as DType };
      }
      return res;
    },
  };
}
