/**
 * `rlhf pretrain`: a new byte-level BPE tokenizer and a new GPT-2 trained from scratch on text (or on
 * prompt/completion rows, with the loss on the completion), with held-out perplexity.
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { readDataset } from '@rlhfkit/io';
import {
  CausalLM,
  gptConfig,
  initParams,
  newModelSchema,
  pretrain,
  pretrainConfigSchema,
  resolvePretrainConfig,
  sftData,
  sftExamples,
  Tokenizer,
  textData,
} from '@rlhfkit/model';
import { type JobRunner, pick } from './specs.js';
import { startJob } from './start.js';

/** A .txt file is one text; rows are texts, or prompt/completion pairs. */
async function readTexts(path: string) {
  if (extname(path).toLowerCase() === '.txt') return { texts: [await readFile(path, 'utf8')], data: null };
  const data = await readDataset(path, ['language-modeling', 'prompt-completion'], 'rlhf pretrain --data');
  const texts = data.examples.map((e) => {
    if (e.format === 'language-modeling') return typeof e.text === 'string' ? e.text : '';
    return typeof e.prompt === 'string' && typeof e.completion === 'string' ? e.prompt + e.completion : '';
  });
  return { texts, data };
}

export const run: JobRunner = (o, sink) =>
  startJob(
    'pretrain',
    o,
    sink,
    () => readTexts(o['data'] as string),
    async ({ texts, data }, { out, sink, control }) => {
      const shape = newModelSchema.parse(pick(newModelSchema, o));
      const cfg = resolvePretrainConfig(
        pretrainConfigSchema.parse(pick(pretrainConfigSchema, o)),
        shape.nPositions,
      );
      const tok = Tokenizer.train(texts, { vocabSize: shape.vocabSize, modelMaxLength: shape.nPositions });
      let train: ReturnType<typeof textData>;
      let held: ReturnType<typeof textData> | undefined;
      if (data?.format === 'prompt-completion') {
        const examples = sftExamples(tok, data);
        const nEval = Math.floor(examples.length * cfg.evalFraction);
        train = sftData(examples.slice(nEval), tok.eosTokenId);
        if (nEval > 0) held = sftData(examples.slice(0, nEval), tok.eosTokenId);
      } else {
        const ids = texts.flatMap((t) => [...tok.encode(t), tok.eosTokenId]);
        const cut = Math.floor(ids.length * (1 - cfg.evalFraction));
        train = textData(ids.slice(0, cut));
        if (cut < ids.length) held = textData(ids.slice(cut));
      }
      const config = gptConfig({
        nLayer: shape.nLayer,
        nHead: shape.nHead,
        nEmbd: shape.nEmbd,
        nPositions: shape.nPositions,
        vocabSize: tok.vocabSize,
        bosTokenId: tok.bosTokenId,
        eosTokenId: tok.eosTokenId,
      });
      const lm = new CausalLM(config, initParams(config, cfg.seed), {}, {}, tok);
      const res = await pretrain(lm, train, cfg, {
        runDir: out,
        sink,
        control,
        ...(held ? { evalData: held } : {}),
      });
      if (!res.stopped) await res.lm.save(join(out, 'model'));
      return { model: join(out, 'model'), eval_loss: res.evalLoss, eval_perplexity: res.perplexity };
    },
  );
