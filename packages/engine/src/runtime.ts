/**
 * The runtime: the one module that imports onnxruntime-node. It owns sessions (cached by model bytes),
 * execution providers (CPU by default, CUDA on request), threads and native logging.
 */
import { createHash } from 'node:crypto';
import ort from 'onnxruntime-node';
import type { DType, HostArray } from './dtype.js';

export type Device = 'cpu' | 'cuda';

export interface RuntimeOptions {
  /** Where programs run. 'cuda' needs onnxruntime-node's CUDA 12 provider (see README). */
  device?: Device;
  /** Intra-op threads; 0 lets ORT choose. Bit-identical results are guaranteed for a fixed count. */
  threads?: number;
  /** When CUDA cannot be loaded, run on the CPU instead of failing. Off by default. */
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
  readonly device: Device;
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

/** A session for model bytes, created once per (bytes, device, threads). */
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

function sessionOptions(device: Device, o: Settings): ort.InferenceSession.SessionOptions {
  const diagnostics: ort.InferenceSession.SessionOptions = {};
  if (o.profilePrefix)
    Object.assign(diagnostics, { enableProfiling: true, profileFilePrefix: o.profilePrefix });
  if (o.optimizedModelPath) diagnostics.optimizedModelFilePath = o.optimizedModelPath;
  return {
    ...diagnostics,
    executionProviders: device === 'cuda' ? [{ name: 'cuda', deviceId: 0 }] : ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    logSeverityLevel: QUIET,
  };
}

async function createSession(model: Uint8Array, o: Settings): Promise<Session> {
  if (o.device !== 'cuda')
    return wrap(await ort.InferenceSession.create(model, sessionOptions('cpu', o)), 'cpu', o);
  try {
    return wrap(await ort.InferenceSession.create(model, sessionOptions('cuda', o)), 'cuda', o);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (o.allowCpuFallback) {
      process.emitWarning(`CUDA unavailable, running on the CPU: ${why}`, { code: 'RLHFKIT_CUDA_FALLBACK' });
      return wrap(await ort.InferenceSession.create(model, sessionOptions('cpu', o)), 'cpu', o);
    }
    throw new CudaUnavailableError(why);
  }
}

/** Thrown when device 'cuda' was asked for and the CUDA execution provider could not be created. */
export class CudaUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(
      `device 'cuda' was requested but ONNX Runtime could not create the CUDA execution provider: ${reason}\n` +
        'It needs: an NVIDIA driver; CUDA 12 and cuDNN 9 libraries on the loader path; and onnxruntime-node ' +
        "1.30.0's CUDA provider, installed with `ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm rebuild onnxruntime-node`.\n" +
        "Use device 'cpu', or allow the fallback (allowCpuFallback / --allow-cpu-fallback).",
    );
    this.name = 'CudaUnavailableError';
  }
}

function wrap(s: ort.InferenceSession, device: Device, o: Settings): Session {
  // ORT writes the profile only on endProfiling; at exit, so that a profiled run needs no extra call.
  if (o.profilePrefix) process.once('exit', () => s.endProfiling());
  const runOptions: ort.InferenceSession.RunOptions = { logSeverityLevel: QUIET };
  return {
    device,
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
