import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { conversations, maskedRuns } from '../test/chat-fixtures.js';
import { plainChatTemplate } from './chat-template.js';
import { bpeTokenizerFiles, Tokenizer } from './tokenizer.js';
import { TokenizerError } from './tokenizer-config.js';

const multiTurn = conversations[4]!;
const corpus = conversations.flat().map((m) => m.content);

describe('the plain chat template (models that ship none)', () => {
  const trained = Tokenizer.train(corpus, { vocabSize: 400 });

  it('renders as documented', () => {
    expect(trained.hasChatTemplate).toBe(true);
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Why?' },
    ];
    expect(trained.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      'System: Be brief.\nUser: Hi\nAssistant: Hello!<|endoftext|>User: Why?\nAssistant:',
    );
    expect(trained.applyChatTemplate(messages.slice(0, 3))).toBe(
      'System: Be brief.\nUser: Hi\nAssistant: Hello!<|endoftext|>',
    );
  });

  it('is saved in tokenizer_config.json and renders the same in transformers.js', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-plain-'));
    await trained.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).chat_template).toBe(
      plainChatTemplate,
    );
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const theirs = await AutoTokenizer.from_pretrained(dir);
    for (const messages of conversations) {
      for (const add_generation_prompt of [false, true]) {
        const text = theirs.apply_chat_template(messages, { tokenize: false, add_generation_prompt });
        expect(trained.applyChatTemplate(messages, { addGenerationPrompt: add_generation_prompt })).toBe(
          text,
        );
        expect(trained.encodeChat(messages, { addGenerationPrompt: add_generation_prompt })).toEqual(
          theirs.encode(text, { add_special_tokens: false }),
        );
      }
    }
  });

  it('is given to a loaded tokenizer without a template, and written out when it is saved', async () => {
    const { tokenizerJson } = bpeTokenizerFiles(corpus, { vocabSize: 300 });
    const bare = Tokenizer.fromJson({ tokenizer: tokenizerJson, config: { model_max_length: 1024 } });
    expect(bare.hasChatTemplate).toBe(false);
    expect(bare.chatTemplate).toBe(plainChatTemplate);
    expect(bare.applyChatTemplate(conversations[2]!)).toBe(
      'User: Name a colour.\nAssistant: Blue.<|endoftext|>',
    );
    const dir = mkdtempSync(join(tmpdir(), 'chat-bare-'));
    await bare.save(dir);
    const saved = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(saved).toEqual({
      model_max_length: 1024,
      chat_template: plainChatTemplate,
      eos_token: '<|endoftext|>',
    });
  });
});

describe('the assistant-token mask for SFT', () => {
  const tok = Tokenizer.train(corpus, { vocabSize: 400 });

  it('marks each assistant reply through its eos, over the ids encodeChat gives', () => {
    const { ids, assistantMask } = tok.encodeChatWithAssistantMask(multiTurn);
    expect(ids).toEqual(tok.encodeChat(multiTurn));
    expect(assistantMask).toHaveLength(ids.length);
    expect(maskedRuns(tok, ids, assistantMask)).toEqual([
      ' First answer.<|endoftext|>',
      ' Second answer.<|endoftext|>',
    ]);
    // the prompt side: everything else, exactly
    const prompt = ids.filter((_, t) => assistantMask[t] === 0);
    expect(tok.decode(prompt)).toBe('User: First question?\nAssistant:User: Second question?\nAssistant:');
    expect(tok.encodeChatWithAssistantMask(conversations[1]!).assistantMask.every((m) => m === 0)).toBe(true);
  });

  it('refuses a template that renders a prefix of the conversation differently from its start', () => {
    const { tokenizerJson, tokenizerConfig } = bpeTokenizerFiles(corpus, { vocabSize: 300 });
    const config = { ...tokenizerConfig, chat_template: `{{ messages | length }}${plainChatTemplate}` };
    const shifty = Tokenizer.fromJson({ tokenizer: tokenizerJson, config }, 'model');
    expect(() => shifty.encodeChatWithAssistantMask(multiTurn)).toThrow(TokenizerError);
    expect(() => shifty.encodeChatWithAssistantMask(multiTurn)).toThrow(
      'model/tokenizer_config.json: chat_template: the template renders messages[0..1) differently from the start',
    );
  });

  it('refuses a template whose assistant turns end with a token that is not an eos id', () => {
    const { tokenizerJson, tokenizerConfig } = bpeTokenizerFiles(corpus, {
      vocabSize: 300,
      specialTokens: ['<|endoftext|>', '<|end|>'],
    });
    const config = { ...tokenizerConfig, chat_template: plainChatTemplate.replace('eos_token', "'<|end|>'") };
    const other = Tokenizer.fromJson({ tokenizer: tokenizerJson, config }, 'model');
    const [eos, end] = [other.tokenToId('<|endoftext|>')!, other.tokenToId('<|end|>')!];
    expect(() => other.encodeChatWithAssistantMask(multiTurn)).toThrow(
      `model/tokenizer_config.json: chat_template: messages[1] (assistant) renders without a stop token (ids ${eos})`,
    );
    const generationConfig = { eos_token_id: [eos, end] };
    const stops = Tokenizer.fromJson({ tokenizer: tokenizerJson, config, generationConfig }, 'model');
    const { ids, assistantMask } = stops.encodeChatWithAssistantMask(multiTurn);
    expect(maskedRuns(stops, ids, assistantMask)).toEqual([
      ' First answer.<|end|>',
      ' Second answer.<|end|>',
    ]);
  });
});
