/**
 * `rlhf ppo`: RL fine-tuning of a policy against a reward model and/or reward functions from code
 * (`--reward-fn FILE.mjs[:export]`, repeatable, weighted by `--reward-weights` as TRL's reward_funcs and
 * reward_weights; each logged as rewards/<name>/mean and /std). A reward function gets the prompt row's other
 * columns as `row`; one that throws, returns a non-number or does not answer in time stops the job, named.
 * Conversational prompts are rendered with the policy's chat template.
 */
import { join } from 'node:path';
import { loadRewardFn, readPromptRows } from '@rlhfkit/io';
import { loadCausalLM, renderPrompt } from '@rlhfkit/model';
import {
  ppoConfig,
  ppoConfigSchema,
  type RewardPart,
  rewardModelScorer,
  ruleScorer,
  runPPO,
} from '@rlhfkit/ppo';
import { RewardModel } from '@rlhfkit/reward-model';
import { type JobRunner, pick } from './specs.js';
import { startJob, usage } from './start.js';

async function rewards(o: Record<string, unknown>): Promise<RewardPart[]> {
  const weights = (o['rewardWeights'] as number[] | undefined) ?? [];
  const timeoutMs = (o['rewardFnTimeout'] as number) * 1000;
  const parts: Omit<RewardPart, 'weight'>[] = [];
  if (typeof o['rewardModel'] === 'string') {
    const rm = await RewardModel.load(o['rewardModel']);
    parts.push({ name: 'reward_model', scorer: rewardModelScorer(rm) });
  }
  for (const spec of (o['rewardFn'] as string[] | undefined) ?? []) {
    const f = await loadRewardFn(spec);
    parts.push({ name: f.name, scorer: ruleScorer(f, timeoutMs) });
  }
  return parts.map((p, i) => ({ ...p, weight: weights[i] ?? 1 }));
}

export const run: JobRunner = (o, sink) =>
  startJob(
    'ppo',
    o,
    sink,
    async () => {
      const config = ppoConfig(pick(ppoConfigSchema, o));
      const rows = await readPromptRows(o['prompts'] as string, 'rlhf ppo --prompts');
      const policy = await loadCausalLM(o['policy'] as string);
      if (!policy.tokenizer) throw usage(`${o['policy']}: no tokenizer.json in the policy directory`);
      const prompts = rows.map((r) => renderPrompt(policy.tokenizer!, r.prompt));
      return { config, prompts, rows, policy, parts: await rewards(o) };
    },
    async ({ config, prompts, rows, policy, parts }, { out, sink, control }) => {
      const res = await runPPO({
        config,
        policy,
        scorer: parts,
        prompts,
        promptRows: rows.map((r) => r.extra),
        runDir: out,
        sink,
        control,
      });
      return { policy: join(out, 'policy'), iterations: res.history.length, final: res.history.at(-1) ?? {} };
    },
  );
