/**
 * Prompts for RL and generation: any TRL prompt-only or prompt-completion dataset (the completion column, when
 * present, is kept with the other columns in `extra`, where reward functions find it), or a JSON lines file
 * of plain strings.
 */

import { DataError } from './data-error.js';
import { type Dataset, type Example, readDataset, type Text } from './datasets.js';
import { rowWhere } from './rows.js';

export interface PromptRow {
  /** 1-based line or row in the file. */
  n: number;
  prompt: Text;
  /** The row's other columns (a completion column too), as TRL hands them to reward functions. */
  extra: Record<string, unknown>;
}

/** Read every prompt row; errors name the file, row and column. Empty prompts are refused. */
export async function readPromptRows(path: string, forWhat = 'prompts'): Promise<PromptRow[]> {
  const data: Dataset<'prompt-only' | 'prompt-completion'> = await readDataset(
    path,
    ['prompt-only', 'prompt-completion'],
    forWhat,
  );
  return data.examples.map((e: Extract<Example, { format: 'prompt-only' | 'prompt-completion' }>) => {
    if (typeof e.prompt === 'string' && e.prompt.length === 0) {
      const where = rowWhere(path, data.rowFormat, e.n);
      throw new DataError(`${where}: column "prompt" is empty; give a prompt or drop the row`, {
        file: path,
        line: e.n,
        field: 'prompt',
      });
    }
    const extra = e.format === 'prompt-completion' ? { completion: e.completion, ...e.extra } : e.extra;
    return { n: e.n, prompt: e.prompt, extra };
  });
}

/**
 * Read standard (string) prompts. Conversational prompts need the model's chat template: read them with
 * readPromptRows and render them with the tokenizer.
 */
export async function readPrompts(path: string): Promise<string[]> {
  return (await readPromptRows(path)).map((r) => {
    if (typeof r.prompt === 'string') return r.prompt;
    throw new DataError(
      `${path}: row ${r.n} holds a conversational prompt; render it with the model's chat template ` +
        '(readPromptRows, then the tokenizer) instead of readPrompts',
      { file: path, line: r.n, field: 'prompt' },
    );
  });
}
