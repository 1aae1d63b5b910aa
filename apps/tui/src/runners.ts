/**
 * The job runners: each turns validated CLI options into a call of a package API. No training math here.
 * These run wherever they are called; worker-runner.ts moves them off the main thread.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type JobKind, JobSwitch, RunLog, readJsonl, readPrompts } from '@rlhfkit/io';
import {
  CausalLM,
  gptConfig,
  initParams,
  loadCausalLM,
  pretrain,
  pretrainDefaults,
  sftData,
  Tokenizer,
  textData,
} from '@rlhfkit/model';
import { ppoConfig, rewardModelScorer, runPPO } from '@rlhfkit/ppo';
import {
  loadPreferences,
  RewardModel,
  rewardTrainDefaults,
  splitPreferences,
  trainRewardModel,
} from '@rlhfkit/reward-model';
import { runDemo } from './demo/demo.js';
import type { JobRunner } from './jobs.js';

/** Errors that are the user's to fix: the CLI prints the message only and exits 2. */
const userErrors = new Set([
  'DataError',
  'RunDirError',
  'PPOConfigError',
  'CheckpointError',
  'ConfigError',
  'SafetensorsError',
  'TokenizerError',
  'UsageError',
]);

export function asUserError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (userErrors.has(e.name) || (e as NodeJS.ErrnoException).code === 'ENOENT') e.name = 'UsageError';
  return e;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = (o: Record<string, unknown>, kind: string) =>
  (o['out'] as string | undefined) ?? join('runs', `${kind}-${stamp()}`);

/**
 * Run a job: `prepare` reads and validates every input first (a user error there creates no run directory),
 * then `body` trains, with run.json recording the status.
 */
function start<I>(
  kind: JobKind,
  o: Record<string, unknown>,
  prepare: () => Promise<I>,
  body: (inputs: I, out: string, control: JobSwitch) => Promise<Record<string, unknown>>,
) {
  const control = new JobSwitch();
  const out = outDir(o, kind);
  const done = (async () => {
    const inputs = await prepare().catch((err: unknown) => Promise.reject(asUserError(err)));
    const log = new RunLog(out);
    const status = (s: string, extra: Record<string, unknown> = {}) =>
      log.writeJson('run.json', {
        kind,
        status: s,
        updatedAt: new Date().toISOString(),
        config: o,
        ...extra,
      });
    status('running');
    try {
      const summary = await body(inputs, out, control);
      const final = control.stopRequested ? 'stopped' : 'done';
      status(final);
      if (final === 'done') log.writeJson('summary.json', summary);
      return { out, status: final, ...summary };
    } catch (err) {
      status('failed', { error: String(err) });
      throw asUserError(err);
    }
  })();
  return { control, done };
}

type TrainingData = { texts: string[]; sft: { prompt: string; completion: string }[] | null };

/**
 * Pretraining data: a .txt file (one text), or .jsonl with either {"text"} per line (raw text) or
 * {"prompt", "completion"} per line (supervised fine-tuning, loss on the completion only).
 */
async function readTrainingData(path: string): Promise<TrainingData> {
  if (!path.endsWith('.jsonl')) return { texts: [await readFile(path, 'utf8')], sft: null };
  const rows = await readJsonl(path);
  if (rows.length === 0) throw usage(`${path}: has no records`);
  const isSft = typeof (rows[0]!.value as Record<string, unknown> | null)?.['prompt'] === 'string';
  const field = (v: unknown, k: string, line: number) => {
    const x = (v as Record<string, unknown> | null)?.[k];
    if (typeof x !== 'string') throw usage(`${path}:${line}: field "${k}" must be a string`);
    return x;
  };
  if (!isSft) return { texts: rows.map(({ value, line }) => field(value, 'text', line)), sft: null };
  const sft = rows.map(({ value, line }) => ({
    prompt: field(value, 'prompt', line),
    completion: field(value, 'completion', line),
  }));
  return { texts: sft.map((e) => e.prompt + e.completion), sft };
}

export const runners: Record<JobKind, JobRunner> = {
  demo: (o, sink) => {
    const control = new JobSwitch();
    const out = outDir(o, 'demo');
    const opts = {
      preset: (o['preset'] as 'default' | 'ci') ?? 'default',
      out,
      seed: (o['seed'] as number) ?? 0,
      device: (o['device'] as 'cpu' | 'cuda') ?? 'cpu',
      allowCpuFallback: Boolean(o['allowCpuFallback']),
      ...(o['threads'] ? { threads: o['threads'] as number } : {}),
    };
    return {
      control,
      done: runDemo(opts, sink, control).catch((e: unknown) => Promise.reject(asUserError(e))),
    };
  },

  pretrain: (o, sink) =>
    start(
      'pretrain',
      o,
      async () => {
        const data = await readTrainingData(o['data'] as string);
        if (!o['base']) return { ...data, base: null };
        const base = await loadCausalLM(o['base'] as string);
        if (!base.tokenizer) throw usage(`${o['base']}: no tokenizer.json in the base model directory`);
        if ((o['ctx'] as number) > base.config.nPositions)
          throw usage(
            `--ctx ${o['ctx']} exceeds the base model's context (${base.config.nPositions} tokens)`,
          );
        return { ...data, base };
      },
      async ({ texts, sft, base }, out, control) => {
        // A base model brings its own tokenizer and architecture; otherwise both are new, sized by the flags.
        const tok =
          base?.tokenizer ??
          Tokenizer.train(texts, { vocabSize: o['vocabSize'] as number, modelMaxLength: o['ctx'] as number });
        const ids = texts.flatMap((t) => [...tok.encode(t), tok.eosTokenId]);
        const cut = Math.floor(ids.length * 0.95);
        // SFT: completions end with EOS; a twentieth of the examples is held out.
        const examples = sft?.map((e) => ({
          prompt: tok.encode(e.prompt),
          completion: [...tok.encode(e.completion), tok.eosTokenId],
        }));
        const nEval = examples ? Math.max(1, Math.floor(examples.length / 20)) : 0;
        const train = examples ? sftData(examples.slice(nEval), tok.eosTokenId) : textData(ids.slice(0, cut));
        const held = examples ? sftData(examples.slice(0, nEval), tok.eosTokenId) : textData(ids.slice(cut));
        const newModel = () => {
          const config = gptConfig({
            nLayer: o['layers'] as number,
            nHead: o['heads'] as number,
            nEmbd: o['dim'] as number,
            nPositions: o['ctx'] as number,
            vocabSize: tok.vocabSize,
            bosTokenId: tok.bosTokenId,
            eosTokenId: tok.eosTokenId,
          });
          return new CausalLM(config, initParams(config, o['seed'] as number), {}, {}, tok);
        };
        const steps = Math.ceil((o['steps'] as number) / 10) * 10;
        const lm = base ?? newModel();
        const res = await pretrain(
          lm,
          train,
          {
            ...pretrainDefaults,
            steps,
            batchSize: o['batch'] as number,
            contextLength: o['ctx'] as number,
            lr: o['lr'] as number,
            minLr: (o['lr'] as number) / 10,
            warmupSteps: Math.ceil(steps / 20),
            evalEvery: Math.ceil(steps / 5),
            seed: o['seed'] as number,
          },
          { runDir: out, evalData: held, sink, control },
        );
        if (!res.stopped) await res.lm.save(join(out, 'model'));
        return { model: join(out, 'model'), eval_loss: res.evalLoss, eval_perplexity: res.perplexity };
      },
    ),

  'train-rm': (o, sink) =>
    start(
      'train-rm',
      o,
      async () => {
        const records = await loadPreferences(o['data'] as string);
        const base = await loadCausalLM(o['base'] as string);
        if (!base.tokenizer) throw usage(`${o['base']}: no tokenizer.json in the base model directory`);
        const split = splitPreferences(records, {
          evalFraction: o['evalFraction'] as number,
          seed: o['seed'] as number,
        });
        return { split, base, tokenizer: base.tokenizer };
      },
      async ({ split, base }, out, control) => {
        const res = await trainRewardModel(
          base,
          split.train,
          {
            ...rewardTrainDefaults,
            epochs: o['epochs'] as number,
            lr: o['lr'] as number,
            batchSize: Math.min(o['batch'] as number, split.train.length),
            maxLength: base.config.nPositions,
            seed: o['seed'] as number,
          },
          { evalRecords: split.eval, runDir: out, sink, control },
        );
        const evalMetrics = res.eval ? Object.entries(res.eval).map(([k, v]) => [`eval_${k}`, v]) : [];
        return { model: join(out, 'model'), ...Object.fromEntries(evalMetrics) };
      },
    ),

  ppo: (o, sink) =>
    start(
      'ppo',
      o,
      async () => {
        const critic = o['algorithm'] !== 'rloo' && o['algorithm'] !== 'grpo';
        const groupSize = critic ? 1 : (o['groupSize'] as number);
        const batch = o['batch'] as number;
        const config = ppoConfig({
          algorithm: o['algorithm'] as 'ppo',
          iterations: o['iterations'] as number,
          groupSize,
          promptsPerIteration: batch / groupSize,
          minibatchSize: Math.min(8, batch),
          klCoef: o['klCoef'] as number,
          seed: o['seed'] as number,
        });
        const prompts = await readPrompts(o['prompts'] as string);
        const policy = await loadCausalLM(o['policy'] as string);
        const rm = await RewardModel.load(o['rewardModel'] as string);
        return { config, prompts, policy, rm };
      },
      async ({ config, prompts, policy, rm }, out, control) => {
        const scorer = rewardModelScorer(rm);
        const res = await runPPO({ config, policy, scorer, prompts, runDir: out, sink, control });
        return {
          policy: join(out, 'policy'),
          iterations: res.history.length,
          final: res.history.at(-1) ?? {},
        };
      },
    ),
};

const usage = (message: string) => Object.assign(new Error(message), { name: 'UsageError' });
