import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { bpeTokenizerFiles, Tokenizer } from './tokenizer.js';
import { type Json, TokenizerError } from './tokenizer-config.js';

// A small trained byte-level BPE with three special tokens, in Llama-like and GPT-2-like configurations.
const { tokenizerJson } = bpeTokenizerFiles('the cat sat on the mat. '.repeat(20), {
  vocabSize: 300,
  specialTokens: ['<|endoftext|>', '<|begin|>', '<|pad|>'],
});
const probe = Tokenizer.fromJson({ tokenizer: tokenizerJson });
const [E, B, P] = ['<|endoftext|>', '<|begin|>', '<|pad|>'].map((t) => probe.tokenToId(t)!) as [
  number,
  number,
  number,
];

/** tokenizer.json whose post_processor prepends <|begin|>, as Llama 3.1+ and Llama 2 files do. */
const bosPostProcessor: Json = {
  ...tokenizerJson,
  post_processor: {
    type: 'Sequence',
    processors: [
      tokenizerJson['post_processor'],
      {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|begin|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '<|begin|>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '<|begin|>', type_id: 1 } },
          { Sequence: { id: 'B', type_id: 1 } },
        ],
        special_tokens: { '<|begin|>': { id: '<|begin|>', ids: [B], tokens: ['<|begin|>'] } },
      },
    ],
  },
};

describe('special tokens', () => {
  it('come from tokenizer_config.json (strings or {content}), then generation_config.json, then eos', () => {
    const named = Tokenizer.fromJson({
      tokenizer: tokenizerJson,
      config: {
        bos_token: { __type: 'AddedToken', content: '<|begin|>' },
        eos_token: '<|endoftext|>',
        pad_token: { content: '<|pad|>' },
        added_tokens_decoder: { [String(B)]: { content: '<|begin|>', special: true } },
      },
    });
    expect([named.bosTokenId, named.eosTokenId, named.padTokenId, ...named.eosTokenIds]).toEqual([
      B,
      E,
      P,
      E,
    ]);
    const generation = { bos_token_id: B, eos_token_id: [P, E], pad_token_id: P };
    const fromGeneration = Tokenizer.fromJson({ tokenizer: tokenizerJson, generationConfig: generation });
    expect(fromGeneration.eosTokenIds).toEqual([P, E]);
    expect([fromGeneration.bosTokenId, fromGeneration.padTokenId]).toEqual([B, P]);
    // the config's eos first, then generation_config's others, each once
    const config = { eos_token: '<|endoftext|>' };
    const both = Tokenizer.fromJson({ tokenizer: tokenizerJson, config, generationConfig: generation });
    expect(both.eosTokenIds).toEqual([E, P]);
    // nothing named: GPT-2's <|endoftext|> is eos, and bos and pad fall back to it
    const bare = Tokenizer.fromJson({ tokenizer: tokenizerJson });
    expect([bare.bosTokenId, bare.eosTokenId, bare.padTokenId, ...bare.eosTokenIds]).toEqual([E, E, E, E]);
  });

  it('add bos once: add_bos_token when set, else what the post_processor adds, as transformers.js does', () => {
    const text = 'the cat sat';
    const raw = probe.encode(text);
    const config = { bos_token: '<|begin|>', eos_token: '<|endoftext|>' };
    const load = (tokenizer: Json, extra: Json = {}) =>
      Tokenizer.fromJson({ tokenizer, config: { ...config, ...extra } });

    const post = load(bosPostProcessor);
    expect(post.addBosToken).toBe(true);
    expect(post.encode(text, { addSpecialTokens: true })).toEqual([B, ...raw]);
    expect(post.encode(text, { addSpecialTokens: true })).toEqual(
      new PreTrainedTokenizer(bosPostProcessor, config).encode(text),
    );
    expect(post.encode(text)).toEqual(raw); // special tokens only when asked for
    expect(load(bosPostProcessor, { add_bos_token: true }).encode(text, { addSpecialTokens: true })).toEqual([
      B,
      ...raw,
    ]);
    expect(load(tokenizerJson, { add_bos_token: true }).encode(text, { addSpecialTokens: true })).toEqual([
      B,
      ...raw,
    ]);
    // add_bos_token false wins over the post_processor, as in transformers' LlamaTokenizerFast
    expect(load(bosPostProcessor, { add_bos_token: false }).encode(text, { addSpecialTokens: true })).toEqual(
      raw,
    );
    const eos = load(tokenizerJson, { add_eos_token: true });
    expect([eos.addBosToken, eos.addEosToken]).toEqual([false, true]);
    expect(eos.encode(text, { addSpecialTokens: true })).toEqual([...raw, E]);
  });
});

describe('bad tokenizer files get one TokenizerError naming the file and the key', () => {
  const good: Record<string, unknown> = {
    'tokenizer.json': tokenizerJson,
    'tokenizer_config.json': { eos_token: '<|endoftext|>', bos_token: '<|begin|>' },
  };
  const dirWith = (files: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-bad-'));
    for (const [name, body] of Object.entries({ ...good, ...files })) {
      writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
    }
    return dir;
  };
  const { merges: _, ...noMerges } = tokenizerJson['model'] as Json;
  const config = (extra: Json) => ({
    'tokenizer_config.json': { ...(good['tokenizer_config.json'] as Json), ...extra },
  });
  const cases: [string, Record<string, unknown>, string][] = [
    ['a truncated tokenizer.json', { 'tokenizer.json': '{"model": {' }, 'tokenizer.json: invalid JSON'],
    [
      'BPE without merges',
      { 'tokenizer.json': { ...tokenizerJson, model: noMerges } },
      'tokenizer.json: model.merges: expected a list',
    ],
    [
      'an unknown pre-tokenizer',
      { 'tokenizer.json': { ...tokenizerJson, pre_tokenizer: { type: 'Nope' } } },
      'tokenizer.json: cannot load the tokenizer: Unknown PreTokenizer type: Nope',
    ],
    [
      'a number for eos_token',
      config({ eos_token: 5 }),
      'tokenizer_config.json: eos_token: expected a token string',
    ],
    [
      'a token not in the vocabulary',
      config({ pad_token: '<pad>' }),
      'tokenizer_config.json: pad_token: "<pad>" is not a token',
    ],
    [
      'a string for add_bos_token',
      config({ add_bos_token: 'yes' }),
      'tokenizer_config.json: add_bos_token: expected true or false',
    ],
    [
      'add_bos_token without a bos_token',
      config({ add_bos_token: true, bos_token: null }),
      'tokenizer_config.json: add_bos_token: true, but no bos_token is set',
    ],
    [
      'a number for chat_template',
      config({ chat_template: 3 }),
      'tokenizer_config.json: chat_template: expected a string or a list',
    ],
    [
      'a template list without "default"',
      config({ chat_template: [{ name: 'tool_use', template: 'x' }] }),
      'tokenizer_config.json: chat_template: a list of templates needs one {"name": "default"',
    ],
    [
      'a template that does not parse',
      config({ chat_template: '{% if %}' }),
      'tokenizer_config.json: chat_template: cannot parse the template: Unexpected token',
    ],
    [
      'a chat_template.jinja that does not parse',
      { 'chat_template.jinja': '{{ messages' },
      'chat_template.jinja: cannot parse the template',
    ],
    [
      'a list for the config',
      { 'tokenizer_config.json': [] },
      'tokenizer_config.json: expected a JSON object',
    ],
    [
      'a string eos_token_id',
      { 'generation_config.json': { eos_token_id: 'x' } },
      'generation_config.json: eos_token_id: expected a token id',
    ],
  ];

  it.each(cases)('%s', async (_, files, message) => {
    const dir = dirWith(files);
    const err = await Tokenizer.load(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).name).toBe('TokenizerError');
    expect((err as Error).message).toContain(join(dir, message));
  });

  it('a template that fails to render names the file, the key and the reason', async () => {
    const tok = await Tokenizer.load(dirWith({}));
    const messages = [{ role: 'tool', content: '42' }];
    expect(() => tok.applyChatTemplate(messages)).toThrow(TokenizerError);
    expect(() => tok.applyChatTemplate(messages)).toThrow(
      'tokenizer_config.json: chat_template (none: the plain template): cannot render the conversation: ' +
        'the plain chat template has no role tool',
    );
    const jinja = await Tokenizer.load(
      dirWith({ 'chat_template.jinja': "{{ raise_exception('roles must alternate') }}" }),
    );
    expect(() => jinja.applyChatTemplate(messages)).toThrow(
      'chat_template.jinja: cannot render the conversation: roles must alternate',
    );
  });

  it('chat_template.jinja wins over the config, as in HF transformers, and is saved into the config', async () => {
    const dir = dirWith({
      'chat_template.jinja': '{{ messages[0].content }}!',
      ...config({ chat_template: 'no' }),
    });
    const tok = await Tokenizer.load(dir);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('hi!');
    const out = mkdtempSync(join(tmpdir(), 'tok-saved-'));
    await tok.save(out);
    expect((await Tokenizer.load(out)).chatTemplate).toBe('{{ messages[0].content }}!');
  });
});
