// Conversations and a mask reader shared by the chat template tests (src/chat-template.test.ts and
// test/hf-tokenizers.test.ts).
import type { ChatMessage, Tokenizer } from '../src/index.js';

/** Conversations every template test renders: system/user/assistant, multi-turn, unicode, spaces. */
export const conversations: ChatMessage[][] = [
  [{ role: 'user', content: 'Hi there!' }],
  [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'What is 2 + 2?' },
  ],
  [
    { role: 'user', content: 'Name a colour.' },
    { role: 'assistant', content: 'Blue.' },
  ],
  [
    { role: 'system', content: 'Answer in one line.' },
    { role: 'user', content: 'Bonjour, ça va ? 日本語も。' },
    { role: 'assistant', content: 'Oui, très bien!\nAnd you?' },
    { role: 'user', content: '  Fine, thanks.  ' },
  ],
  [
    { role: 'user', content: 'First question?' },
    { role: 'assistant', content: 'First answer.' },
    { role: 'user', content: 'Second question?' },
    { role: 'assistant', content: 'Second answer.' },
  ],
];

/** Each run of masked tokens, decoded. */
export function maskedRuns(tok: Tokenizer, ids: readonly number[], mask: readonly number[]): string[] {
  const runs: string[] = [];
  let run: number[] = [];
  mask.forEach((m, t) => {
    if (m === 1) run.push(ids[t]!);
    if ((m === 0 || t === mask.length - 1) && run.length > 0) {
      runs.push(tok.decode(run));
      run = [];
    }
  });
  return runs;
}
