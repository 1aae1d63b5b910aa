/**
 * `rlhf demo`: a complete offline RLHF run on Moby-Dick with a hidden AFINN gold rater.
 *   1. tokenizer  2. pretrain  3. preference pairs (gold labels + Bradley-Terry noise)  4. reward model
 *   5. PPO against the reward model, KL-penalised to the pretrained policy  6. before/after evaluation
 * Each stage is cached in the run directory (a done.json marker), so a resumed run skips finished stages and a
 * killed stage resumes from its checkpoint. The job around it (jobs/demo.ts) owns run.json and summary.json.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '@rlhfkit/engine';
import { type EventSink, JobSwitch, RunLog } from '@rlhfkit/io';
import {
  CausalLM,
  gptConfig,
  initParams,
  loadCausalLM,
  pretrain,
  pretrainDefaults,
  Tokenizer,
  textData,
} from '@rlhfkit/model';
import { ppoConfig, rewardModelScorer, runPPO } from '@rlhfkit/ppo';
import {
  loadPreferences,
  type PreferenceRecord,
  RewardModel,
  rewardTrainDefaults,
  trainRewardModel,
  writePreferences,
} from '@rlhfkit/reward-model';
import { goldScore, loadCorpus, sentencePrompts } from './data.js';
import { evaluatePolicies } from './evaluate.js';
import { type PresetName, presets } from './presets.js';

export interface DemoOptions {
  preset: PresetName;
  out: string;
  seed: number;
}

const stages = ['tokenizer', 'pretrain', 'pairs', 'reward-model', 'ppo', 'evaluate'] as const;
type Stage = (typeof stages)[number];

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

export async function runDemo(
  o: DemoOptions,
  sink: EventSink,
  control: JobSwitch = new JobSwitch(),
): Promise<Record<string, unknown>> {
  const p = presets[o.preset];
  const seconds: Record<string, number> = {};

  /** Run a stage unless its done.json exists; record its wall time. */
  async function stage<T extends Record<string, unknown>>(
    name: Stage,
    fn: (dir: string) => Promise<T>,
  ): Promise<T | null> {
    const dir = join(o.out, name);
    const marker = join(dir, 'done.json');
    sink({ type: 'stage', stage: name, index: stages.indexOf(name), total: stages.length });
    if (await exists(marker)) {
      const done = JSON.parse(await readFile(marker, 'utf8')) as T & { seconds: number };
      seconds[name] = done.seconds;
      sink({ type: 'log', level: 'info', message: `${name}: cached in ${dir}` });
      return done;
    }
    if (control.stopRequested) return null;
    await mkdir(dir, { recursive: true });
    const t0 = Date.now();
    const result = await fn(dir);
    if (control.stopRequested) return null; // the stage stopped early and checkpointed; not done
    seconds[name] = (Date.now() - t0) / 1000;
    new RunLog(dir).writeJson('done.json', { ...result, seconds: seconds[name] });
    return result;
  }

  const corpus = loadCorpus();
  const rng = new Rng(o.seed);

  // 1. Tokenizer.
  await stage('tokenizer', async (dir) => {
    const tok = Tokenizer.train(corpus.train, { vocabSize: p.vocabSize, modelMaxLength: p.model.nPositions });
    await tok.save(dir);
    return { vocabSize: tok.vocabSize };
  });
  const tok = await Tokenizer.load(join(o.out, 'tokenizer'));

  // 2. Pretrain a small GPT on the text.
  await stage('pretrain', async (dir) => {
    const config = gptConfig({
      ...p.model,
      vocabSize: tok.vocabSize,
      bosTokenId: tok.bosTokenId,
      eosTokenId: tok.eosTokenId,
    });
    const lm = new CausalLM(config, initParams(config, o.seed), {}, {}, tok);
    const ids = (texts: string[]) => texts.flatMap((t) => [...tok.encode(t), tok.eosTokenId]);
    const res = await pretrain(
      lm,
      textData(ids(corpus.train)),
      {
        ...pretrainDefaults,
        ...p.pretrain,
        warmupSteps: Math.ceil(p.pretrain.steps / 20),
        minLr: p.pretrain.lr / 10,
        evalEvery: Math.ceil(p.pretrain.steps / 4),
        checkpointEvery: Math.ceil(p.pretrain.steps / 4),
        seed: o.seed,
      },
      { runDir: dir, evalData: textData(ids(corpus.heldOut)), sink, control, stage: 'pretrain' },
    );
    if (res.stopped) return {};
    await res.lm.save(join(dir, 'model'));
    return { eval_loss: res.evalLoss, eval_perplexity: res.perplexity };
  });
  if (control.stopRequested) return finish('stopped');
  const base = await loadCausalLM(join(o.out, 'pretrain', 'model'));

  // 3. Preference pairs: two samples per prompt, labelled by the gold rater with Bradley-Terry noise.
  const trainPrompts = rng.shuffle(sentencePrompts(corpus.train, p.pairs.promptWords));
  const evalPrompts = new Rng(o.seed + 1)
    .shuffle(sentencePrompts(corpus.heldOut, p.pairs.promptWords))
    .slice(0, p.evaluation.prompts);
  await stage('pairs', async (dir) => {
    const label = new Rng(o.seed + 2);
    const prompts = trainPrompts.slice(0, p.pairs.prompts);
    const k = p.pairs.samplesPerPrompt;
    const groups: PreferenceRecord[][] = [];
    let ties = 0;
    for (let i = 0; i < prompts.length; i += 16) {
      const chunk = prompts.slice(i, i + 16);
      const rows = chunk.flatMap((q) => Array.from({ length: k }, () => tok.encode(q)));
      const gen = await base.generate(rows, {
        maxNewTokens: p.pairs.maxNewTokens,
        temperature: p.pairs.temperature,
        seed: o.seed * 7919 + i,
      });
      chunk.forEach((prompt, j) => {
        const texts = gen
          .slice(j * k, (j + 1) * k)
          .map((t) => tok.decode(t.filter((x) => x !== tok.eosTokenId)));
        // An empty completion (EOS at once) can be neither chosen nor rejected: the labeller skips it.
        const ranked = texts
          .filter((text) => text.trim().length > 0)
          .map((text) => ({ text, gold: goldScore(text) }))
          .sort((x, y) => y.gold - x.gold);
        const n = ranked.length;
        const group: PreferenceRecord[] = [];
        for (let r = 0; r < Math.min(p.pairs.pairsPerPrompt, Math.floor(n / 2)); r++) {
          const [hi, lo] = [ranked[r]!, ranked[n - 1 - r]!];
          if (hi.gold === lo.gold || hi.text === lo.text) {
            ties++;
            continue;
          }
          // Which of the two is "a" is a coin flip; a Bradley-Terry labeller then prefers a with
          // probability σ((g_a − g_b) / τ).
          const [a, b] = label.next() < 0.5 ? [hi, lo] : [lo, hi];
          const aWins = label.next() < 1 / (1 + Math.exp(-(a.gold - b.gold) / p.pairs.noise));
          const [w, l] = aWins ? [a, b] : [b, a];
          group.push({ prompt, chosen: w.text, rejected: l.text, margin: 0, line: 0 });
        }
        if (group.length) groups.push(group);
      });
      sink({
        type: 'progress',
        stage: 'pairs',
        step: Math.min(i + 16, prompts.length),
        total: prompts.length,
      });
    }
    // Held-out pairs come from held-out prompts, so evaluation never sees a prompt the reward model trained on.
    const nEval = Math.max(1, Math.round(groups.length * p.pairs.evalFraction));
    const evalPairs = groups.slice(0, nEval).flat();
    const trainPairs = groups.slice(nEval).flat();
    await writePreferences(join(dir, 'prefs-eval.jsonl'), evalPairs);
    await writePreferences(join(dir, 'prefs.jsonl'), trainPairs);
    return { pairs: trainPairs.length + evalPairs.length, ties_skipped: ties, eval_pairs: evalPairs.length };
  });
  if (control.stopRequested) return finish('stopped');

  // 4. Reward model, from the pretrained backbone.
  const rmDone = await stage('reward-model', async (dir) => {
    const train = await loadPreferences(join(o.out, 'pairs', 'prefs.jsonl'));
    const heldOut = await loadPreferences(join(o.out, 'pairs', 'prefs-eval.jsonl'));
    const res = await trainRewardModel(
      base,
      train,
      { ...rewardTrainDefaults, ...p.rewardModel, maxLength: p.model.nPositions, seed: o.seed },
      { evalRecords: heldOut, runDir: dir, sink, control, stage: 'reward-model' },
    );
    return { eval_accuracy: res.eval?.accuracy ?? null, eval_loss: res.eval?.loss ?? null };
  });
  if (control.stopRequested || !rmDone) return finish('stopped');
  const rm = await RewardModel.load(join(o.out, 'reward-model', 'model'));

  // 5. PPO against the reward model, with a KL penalty to the pretrained policy.
  await stage('ppo', async (dir) => {
    const res = await runPPO({
      config: ppoConfig({ ...p.ppo, seed: o.seed }),
      policy: base,
      scorer: rewardModelScorer(rm),
      prompts: trainPrompts.slice(p.pairs.prompts),
      runDir: dir,
      sink,
      control,
      stage: 'ppo',
    });
    const last = res.history.at(-1) ?? {};
    return {
      iterations: res.history.length,
      final_scores: last['objective/scores'] ?? null,
      final_kl: last['objective/kl'] ?? null,
    };
  });
  if (control.stopRequested) return finish('stopped');
  const tuned = await loadCausalLM(join(o.out, 'ppo', 'policy'));

  // 6. Evaluate before and after on held-out prompts.
  const ev = await stage('evaluate', async () =>
    evaluatePolicies({ base, tuned, rm, prompts: evalPrompts, preset: p, seed: o.seed, gold: goldScore }),
  );
  return finish('done', { ...ev, rm_eval_accuracy: rmDone['eval_accuracy'] });

  function finish(status: 'done' | 'stopped', extra: Record<string, unknown> = {}): Record<string, unknown> {
    sink({ type: 'status', status });
    return { status, preset: o.preset, seed: o.seed, ...extra, seconds_per_stage: seconds };
  }
}
