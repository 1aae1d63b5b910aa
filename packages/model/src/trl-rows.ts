/**
 * Supervised examples from TRL rows (io's readDataset), tokenized as TRL's SFTTrainer does: a prompt-completion
 * row is its prompt's tokens then the completion's and EOS, with the loss on the completion only
 * (completion_only_loss); a language-modeling row is its text and EOS, all counted.
 */
import { DataError, type Dataset, type Text } from '@rlhfkit/io';
import { promptCompletion, type SftExample } from './lm-data.js';
import type { Tokenizer } from './tokenizer.js';

export type SftFormat = 'language-modeling' | 'prompt-completion';

function standard(t: Text, data: Pick<Dataset, 'file' | 'rowFormat'>, n: number, column: string): string {
  if (typeof t === 'string') return t;
  const where = data.rowFormat === 'jsonl' ? `${data.file}:${n}` : `${data.file} row ${n}`;
  throw new DataError(
    `${where}: column "${column}" is a conversation; this model's tokenizer has no chat template to render it. ` +
      'Give text rows ({"prompt", "completion"} strings)',
    { file: data.file, line: n, field: column },
  );
}

/** Token examples of every row; EOS ends each completion (or text) so the model learns to stop. */
export function sftExamples(tok: Tokenizer, data: Dataset<SftFormat>): SftExample[] {
  return data.examples.map((e) => {
    if (e.format === 'prompt-completion') {
      const prompt = tok.encode(standard(e.prompt, data, e.n, 'prompt'));
      const completion = [...tok.encode(standard(e.completion, data, e.n, 'completion')), tok.eosTokenId];
      return promptCompletion(prompt, completion);
    }
    const ids = [...tok.encode(standard(e.text, data, e.n, 'text')), tok.eosTokenId];
    return { ids, lossMask: ids.map(() => 1) };
  });
}
