import { type InputSpec, Program, Rng, type RuntimeOptions } from '@rlhfkit/engine';
import { bucket, padLeft, padRight } from './batch.js';
import { loadModelDir, type NamedTensors, saveModelDir } from './checkpoint-io.js';
import type { ModelConfig } from './config.js';
import type { HostParams } from './decoder.js';
import { forwardHidden, lmLogits } from './forward.js';
import { compileGenerate } from './generate.js';
import { headShapes, paramShapes } from './param-shapes.js';
import { type SamplingConfig, samplingDefaults } from './sampling.js';
import type { Tokenizer } from './tokenizer.js';

export interface GenerateOptions extends Partial<SamplingConfig> {
  maxNewTokens: number;
  /** Stop a row at this token, or at any of these (default: the config's eosTokenIds). */
  eosTokenId?: number | readonly number[];
  /** Seed for the sampling uniforms; the same seed gives the same tokens. */
  seed?: number;
}

export interface Generation {
  /** New tokens per prompt, up to and including EOS when one was sampled. */
  tokens: number[][];
  /** log π(token) under softmax(logits / temperature), per new token. */
  logprobs: number[][];
}

/**
 * A causal language model of any family held on the host, run through compiled ONNX programs (one per shape).
 * `params` holds the backbone under HF names (param-shapes.ts); `heads` the value head and, for a reward model,
 * the score head (score.weight).
 */
export class CausalLM {
  private readonly programs = new Map<string, Program>();

  constructor(
    readonly config: ModelConfig,
    public params: HostParams,
    public heads: HostParams = {},
    readonly runtime: RuntimeOptions = {},
    readonly tokenizer: Tokenizer | null = null,
  ) {
    for (const [k, shape] of Object.entries(paramShapes(config))) {
      const size = shape.reduce((a, b) => a * b, 1);
      if (!params[k]) throw new Error(`CausalLM: missing parameter '${k}'`);
      if (params[k].length !== size)
        throw new Error(`CausalLM: parameter '${k}' has ${params[k].length} values, expected ${size}`);
    }
  }

  /** Feeds for every backbone parameter (zero-copy on the CPU). */
  paramFeeds(prefix = 'p/'): Record<string, { data: Float32Array }> {
    return Object.fromEntries(Object.entries(this.params).map(([k, v]) => [`${prefix}${k}`, { data: v }]));
  }

  /** Compile (or reuse) a program by key. */
  program(key: string, make: () => Program): Program {
    let p = this.programs.get(key);
    if (!p) {
      p = make();
      this.programs.set(key, p);
    }
    return p;
  }

  /** Next-token logits for every position. Rows are right-padded; logits at padding positions are undefined. */
  async logits(ids: number[][]): Promise<{ data: Float32Array; shape: [number, number, number] }> {
    const c = this.config;
    const batch = padRight(ids, c.eosTokenId);
    const [B, T] = [batch.batch, batch.length];
    this.checkLength(T);
    const prog = this.program(`logits:${B}:${T}`, () => {
      const specs: Record<string, InputSpec> = {
        ids: { shape: [B, T], dtype: 'int64' },
        positions: { shape: [B, T], dtype: 'int64' },
        mask: { shape: [B, T] },
      };
      for (const [k, s] of Object.entries(paramShapes(c))) specs[`p/${k}`] = { shape: s };
      return Program.compile(
        specs,
        (x) => {
          const p = Object.fromEntries(Object.keys(paramShapes(c)).map((k) => [k, x[`p/${k}`]!]));
          const { hidden } = forwardHidden(p, c, {
            ids: x['ids']!,
            positions: x['positions']!,
            mask: x['mask']!,
          });
          return { logits: lmLogits(hidden, p, c) };
        },
        this.runtime,
      );
    });
    const out = await prog.run({
      ids: { data: batch.ids },
      positions: { data: batch.positions },
      mask: { data: batch.mask },
      ...this.paramFeeds(),
    });
    return { data: out['logits']!.data as Float32Array, shape: [B, T, c.vocabSize] };
  }

  /** Sample continuations of the prompts (batched, KV cache, one session.run). */
  async generate(prompts: number[][], opts: GenerateOptions): Promise<number[][]> {
    return (await this.generateWithLogProbs(prompts, opts)).tokens;
  }

  async generateWithLogProbs(prompts: number[][], opts: GenerateOptions): Promise<Generation> {
    const c = this.config;
    const s: SamplingConfig = {
      temperature: opts.temperature ?? samplingDefaults.temperature,
      topK: opts.topK ?? samplingDefaults.topK,
      topP: opts.topP ?? samplingDefaults.topP,
    };
    const N = opts.maxNewTokens;
    if (!Number.isInteger(N) || N < 1)
      throw new Error(`generate: maxNewTokens must be a positive integer, got ${N}`);
    if (!(s.topP > 0 && s.topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${s.topP}`);
    if (!(s.temperature >= 0)) throw new Error(`generate: temperature must be ≥ 0, got ${s.temperature}`);
    const eosIds = opts.eosTokenId ?? c.eosTokenIds;
    const stops = typeof eosIds === 'number' ? [eosIds] : [...eosIds];
    if (stops.length === 0) throw new Error('generate: eosTokenId is an empty list');
    const eos = stops[0]!;
    const longest = Math.max(...prompts.map((p) => p.length));
    const P = Math.min(bucket(longest), c.nPositions - N);
    this.checkLength(longest + N);
    const batch = padLeft(prompts, eos, Math.max(P, longest));
    const B = batch.batch;
    const key = `gen:${B}:${batch.length}:${N}:${s.temperature}:${s.topK}:${s.topP}:${stops}`;
    const prog = this.program(key, () =>
      compileGenerate(c, { batch: B, promptLen: batch.length, maxNewTokens: N }, s, stops, this.runtime),
    );
    const rng = new Rng(opts.seed ?? 0);
    const uniforms = Float32Array.from({ length: N * B }, () => rng.next());
    const out = await prog.run({
      ids: { data: batch.ids },
      positions: { data: batch.positions },
      mask: { data: batch.mask },
      uniforms: { data: uniforms },
      ...this.paramFeeds(),
    });
    const toks = out['tokens']!.data as BigInt64Array;
    const lps = out['logprobs']!.data as Float32Array;
    const res: Generation = { tokens: [], logprobs: [] };
    for (let b = 0; b < B; b++) {
      const t: number[] = [];
      const l: number[] = [];
      for (let i = 0; i < N; i++) {
        t.push(Number(toks[b * N + i]));
        l.push(lps[b * N + i]!);
        if (stops.includes(t[i]!)) break;
      }
      res.tokens.push(t);
      res.logprobs.push(l);
    }
    return res;
  }

  /**
   * Write an HF model directory (config.json, model.safetensors, heads, tokenizer), atomically: an
   * XForCausalLM, or an XForSequenceClassification when the heads hold a score.
   */
  async save(dir: string): Promise<void> {
    const shapes = { ...paramShapes(this.config), ...headShapes(this.config) };
    const named = (h: HostParams): NamedTensors =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k, { data: v, shape: shapes[k] ?? [v.length] }]));
    await saveModelDir(dir, {
      config: this.config,
      params: named(this.params),
      heads: named(this.heads),
      ...(this.tokenizer ? { tokenizer: this.tokenizer } : {}),
    });
  }

  /** A copy sharing nothing mutable (e.g. a frozen reference policy). */
  clone(): CausalLM {
    const copy = (h: HostParams) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.slice()]));
    return new CausalLM(this.config, copy(this.params), copy(this.heads), this.runtime, this.tokenizer);
  }

  private checkLength(n: number): void {
    if (n > this.config.nPositions) {
      throw new Error(
        `sequence of ${n} tokens is longer than the model's context (nPositions ${this.config.nPositions})`,
      );
    }
  }
}

/** Load an HF model directory of any family: ours, or one written by transformers / TRL / another program. */
export async function loadCausalLM(dir: string, runtime: RuntimeOptions = {}): Promise<CausalLM> {
  const m = await loadModelDir(dir);
  const flat = (n: NamedTensors) => Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v.data]));
  return new CausalLM(m.config, flat(m.params), flat(m.heads), runtime, m.tokenizer);
}
