/**
 * TRL rows (io's readDataset) as the model sees them. Prompts: a conversation is rendered with the chat template
 * and the assistant's turn opened (add_generation_prompt), as TRL's trainers do. Supervised examples,
 * tokenized as TRL's SFTTrainer does: a prompt-completion
 * row is its prompt's tokens then the completion's and EOS, with the loss on the completion only
 * (completion_only_loss); a language-modeling row is its text and EOS, all counted. Conversational rows are
 * rendered with the tokenizer's chat template and the loss counts the assistant's tokens only
 * (assistant_only_loss; a conversational completion is the assistant turns that follow the prompt).
 */
import type { Dataset, Message, Text } from '@rlhfkit/io';
import { promptCompletion, type SftExample } from './lm-data.js';
import type { Tokenizer } from './tokenizer.js';

export type SftFormat = 'language-modeling' | 'prompt-completion';

/** A conversation through the chat template, the loss on the assistant's tokens. */
function chat(tok: Tokenizer, messages: readonly Message[]): SftExample {
  const { ids, assistantMask } = tok.encodeChatWithAssistantMask(messages);
  return { ids, lossMask: assistantMask };
}

const asMessages = (t: Text, role: string): Message[] => (typeof t === 'string' ? [{ role, content: t }] : t);

/** Token examples of every row; EOS ends each completion (or text) so the model learns to stop. */
export function sftExamples(tok: Tokenizer, data: Dataset<SftFormat>): SftExample[] {
  return data.examples.map((e) => {
    if (e.format === 'prompt-completion') {
      if (typeof e.prompt !== 'string' || typeof e.completion !== 'string') {
        return chat(tok, [...asMessages(e.prompt, 'user'), ...asMessages(e.completion, 'assistant')]);
      }
      const completion = [...tok.encode(e.completion), tok.eosTokenId];
      return promptCompletion(tok.encode(e.prompt), completion);
    }
    if (typeof e.text !== 'string') return chat(tok, e.text);
    const ids = [...tok.encode(e.text), tok.eosTokenId];
    return { ids, lossMask: ids.map(() => 1) };
  });
}

/** A prompt as text for the model: a conversation through the chat template, with the assistant's turn opened. */
export const renderPrompt = (tok: Tokenizer, prompt: Text): string =>
  typeof prompt === 'string' ? prompt : tok.applyChatTemplate(prompt, { addGenerationPrompt: true });
