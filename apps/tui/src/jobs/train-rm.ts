/**
 * `rlhf train-rm`: a Bradley-Terry reward model from a model directory and preference rows (conversations
 * through the model's chat template), with held-out accuracy.
 */
import { join } from 'node:path';
import { loadCausalLM } from '@rlhfkit/model';
import {
  preferenceRecords,
  readPreferences,
  resolveRewardTrainConfig,
  rewardTrainConfigSchema,
  splitPreferences,
  trainRewardModel,
} from '@rlhfkit/reward-model';
import { type JobRunner, pick } from './specs.js';
import { startJob, usage } from './start.js';

export const run: JobRunner = (o, sink) =>
  startJob(
    'train-rm',
    o,
    sink,
    async () => {
      const rows = await readPreferences(o['data'] as string);
      const base = await loadCausalLM(o['model'] as string);
      const tok = base.tokenizer;
      if (!tok) throw usage(`${o['model']}: no tokenizer.json in the model directory`);
      const records = preferenceRecords(rows, (messages, addGenerationPrompt) =>
        tok.applyChatTemplate(messages, { addGenerationPrompt }),
      );
      const cfg = resolveRewardTrainConfig(
        rewardTrainConfigSchema.parse(pick(rewardTrainConfigSchema, o)),
        base.config.nPositions,
      );
      const split = splitPreferences(records, { evalFraction: cfg.evalFraction, seed: cfg.seed });
      if (split.train.length < cfg.batchSize) {
        throw usage(
          `${split.train.length} training pairs, fewer than --batch-size ${cfg.batchSize}; lower --batch-size or give more pairs`,
        );
      }
      return { split, base, cfg };
    },
    async ({ split, base, cfg }, { out, sink, control }) => {
      const res = await trainRewardModel(base, split.train, cfg, {
        evalRecords: split.eval,
        runDir: out,
        sink,
        control,
      });
      const evalMetrics = res.eval ? Object.entries(res.eval).map(([k, v]) => [`eval_${k}`, v]) : [];
      return { model: join(out, 'model'), ...Object.fromEntries(evalMetrics) };
    },
  );
