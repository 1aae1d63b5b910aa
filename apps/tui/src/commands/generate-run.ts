/**
 * The model side of `rlhf generate` (loaded only when it runs): batches of prompts through CausalLM.generate;
 * conversational prompts through the model's chat template.
 */
import { configureRuntime, type Device } from '@rlhfkit/engine';
import { readPromptRows, type Text } from '@rlhfkit/io';
import { loadCausalLM, renderPrompt } from '@rlhfkit/model';
import { UsageError } from '../io.js';

interface Sampling {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  numReturnSequences: number;
  batchSize: number;
  seed: number;
}

export interface Completion {
  prompt: string;
  completion: string;
  [column: string]: unknown;
}

export async function generateCompletions(o: Record<string, unknown>, s: Sampling): Promise<Completion[]> {
  configureRuntime({
    device: o['device'] as Device,
    allowCpuFallback: o['allowCpuFallback'] === true,
    ...(typeof o['threads'] === 'number' ? { threads: o['threads'] } : {}),
  });
  const given =
    typeof o['prompt'] === 'string'
      ? [{ prompt: o['prompt'] as Text, extra: {} }]
      : await readPromptRows(o['prompts'] as string, 'rlhf generate --prompts');
  const lm = await loadCausalLM(o['model'] as string);
  const tok = lm.tokenizer;
  if (!tok) throw new UsageError(`${o['model']}: no tokenizer.json in the model directory`);
  const rows = given.map((r) => ({ prompt: renderPrompt(tok, r.prompt), extra: r.extra }));
  const longest = Math.max(...rows.map((r) => tok.encode(r.prompt).length));
  if (longest + s.maxNewTokens > lm.config.nPositions) {
    throw new UsageError(
      `the longest prompt (${longest} tokens) + --max-new-tokens ${s.maxNewTokens} exceed the model's context ` +
        `(${lm.config.nPositions} tokens); lower --max-new-tokens or shorten the prompt`,
    );
  }
  const expanded = rows.flatMap((r) => Array.from({ length: s.numReturnSequences }, () => r));
  const out: Completion[] = [];
  for (let i = 0; i < expanded.length; i += s.batchSize) {
    const batch = expanded.slice(i, i + s.batchSize);
    const tokens = await lm.generate(
      batch.map((r) => tok.encode(r.prompt)),
      {
        maxNewTokens: s.maxNewTokens,
        temperature: s.temperature,
        topK: s.topK,
        topP: s.topP,
        seed: s.seed + i,
      },
    );
    tokens.forEach((t, j) => {
      const r = batch[j]!;
      out.push({
        prompt: r.prompt,
        completion: tok.decode(t.filter((x) => x !== tok.eosTokenId)),
        ...r.extra,
      });
    });
  }
  return out;
}
