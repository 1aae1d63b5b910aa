import type { Dataset } from '@rlhfkit/io';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from './tokenizer.js';
import { renderPrompt, type SftFormat, sftExamples } from './trl-rows.js';

const tok = Tokenizer.train('User: hi there\nAssistant: hello friend. '.repeat(40), { vocabSize: 300 });
const data = (examples: Dataset<SftFormat>['examples']): Dataset<SftFormat> => ({
  file: 'd.jsonl',
  rowFormat: 'jsonl',
  format: examples[0]!.format,
  examples,
});
const maskedText = (ids: number[], mask: number[]) => tok.decode(ids.filter((_, i) => mask[i] === 1));

describe('sftExamples', () => {
  it('counts the completion and its EOS, not the prompt, for a prompt-completion row', () => {
    const [e] = sftExamples(
      tok,
      data([{ format: 'prompt-completion', n: 1, extra: {}, prompt: 'hi', completion: ' there' }]),
    );
    expect(e!.ids).toEqual([...tok.encode('hi'), ...tok.encode(' there'), tok.eosTokenId]);
    expect(e!.lossMask).toEqual([...tok.encode('hi').map(() => 0), ...tok.encode(' there').map(() => 1), 1]);
  });

  it('counts every token of a text row', () => {
    const [e] = sftExamples(
      tok,
      data([{ format: 'language-modeling', n: 1, extra: {}, text: 'hello friend' }]),
    );
    expect(e!.lossMask.every((m) => m === 1)).toBe(true);
    expect(e!.ids.at(-1)).toBe(tok.eosTokenId);
  });

  it("renders a conversation with the chat template and counts only the assistant's tokens", () => {
    const messages = [
      { role: 'user', content: 'hi there' },
      { role: 'assistant', content: 'hello friend.' },
    ];
    const [lm] = sftExamples(tok, data([{ format: 'language-modeling', n: 1, extra: {}, text: messages }]));
    expect(tok.decode(lm!.ids)).toBe(tok.applyChatTemplate(messages));
    expect(maskedText(lm!.ids, lm!.lossMask)).toBe(' hello friend.<|endoftext|>');
    const [pc] = sftExamples(
      tok,
      data([
        { format: 'prompt-completion', n: 1, extra: {}, prompt: [messages[0]!], completion: [messages[1]!] },
      ]),
    );
    expect(pc).toEqual(lm);
  });
});

describe('renderPrompt', () => {
  it("keeps a text prompt and opens the assistant's turn after a conversation", () => {
    expect(renderPrompt(tok, 'hi')).toBe('hi');
    expect(renderPrompt(tok, [{ role: 'user', content: 'hi' }])).toBe('User: hi\nAssistant:');
  });
});
