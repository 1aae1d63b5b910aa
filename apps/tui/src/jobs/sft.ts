/**
 * `rlhf sft`: supervised fine-tuning of a model directory on TRL rows: prompt/completion (the loss on the
 * completion tokens only, TRL's completion_only_loss) or text (the loss on all of it), with held-out loss.
 */
import { join } from 'node:path';
import { readDataset } from '@rlhfkit/io';
import {
  loadCausalLM,
  pretrain,
  resolvePretrainConfig,
  sftConfigSchema,
  sftData,
  sftExamples,
} from '@rlhfkit/model';
import { type JobRunner, pick } from './specs.js';
import { startJob, usage } from './start.js';

export const run: JobRunner = (o, sink) =>
  startJob(
    'sft',
    o,
    sink,
    async () => {
      const data = await readDataset(
        o['data'] as string,
        ['prompt-completion', 'language-modeling'],
        'rlhf sft --data',
      );
      const lm = await loadCausalLM(o['model'] as string);
      if (!lm.tokenizer) throw usage(`${o['model']}: no tokenizer.json in the model directory`);
      const examples = sftExamples(lm.tokenizer, data);
      const cfg = resolvePretrainConfig(
        sftConfigSchema.parse(pick(sftConfigSchema, o)),
        lm.config.nPositions,
      );
      if (cfg.contextLength > lm.config.nPositions) {
        throw usage(
          `--context-length ${cfg.contextLength} exceeds the model's context (${lm.config.nPositions} tokens)`,
        );
      }
      return { lm, examples, cfg };
    },
    async ({ lm, examples, cfg }, { out, sink, control }) => {
      const pad = lm.tokenizer!.eosTokenId;
      const nEval = Math.floor(examples.length * cfg.evalFraction);
      const held = nEval > 0 ? { evalData: sftData(examples.slice(0, nEval), pad) } : {};
      const res = await pretrain(lm, sftData(examples.slice(nEval), pad), cfg, {
        runDir: out,
        sink,
        control,
        stage: 'sft',
        ...held,
      });
      if (!res.stopped) await res.lm.save(join(out, 'model'));
      return { model: join(out, 'model'), eval_loss: res.evalLoss, eval_perplexity: res.perplexity };
    },
  );
