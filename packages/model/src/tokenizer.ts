/**
 * The tokenizer: any HF tokenizer directory (tokenizer.json, tokenizer_config.json, generation_config.json,
 * chat_template.jinja), run by @huggingface/tokenizers (the library transformers.js uses), with the special
 * tokens HF resolves, add_bos_token, and the chat template (chat-template.ts). What we train (bpe-train.ts) is
 * a byte-level BPE in exactly GPT-2's format, with the plain chat template.
 */
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { writeFileAtomic } from '@rlhfkit/io';
import { type BpeTrainOptions, trainBpe } from './bpe-train.js';
import {
  assistantTokenMask,
  type ChatMessage,
  ChatTemplate,
  type ChatTemplateOptions,
  configChatTemplate,
  type MaskedChat,
  plainChatTemplate,
} from './chat-template.js';
import {
  checkTokenizerJson,
  isObject,
  type Json,
  optionalBool,
  readJsonFile,
  readTextFile,
  specialTokenIds,
  specialTokenText,
  TokenizerError,
  tokenizerVocabSize,
} from './tokenizer-config.js';

export interface TokenizerTrainOptions extends BpeTrainOptions {
  /** Recorded as model_max_length in tokenizer_config.json (set it to the model's nPositions). */
  modelMaxLength?: number;
}

const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/** The tokenizer.json and tokenizer_config.json objects of a trained byte-level BPE, in GPT-2's layout. */
export function bpeTokenizerFiles(
  texts: string | readonly string[],
  options: TokenizerTrainOptions,
): { tokenizerJson: Json; tokenizerConfig: Json } {
  if ((options.specialTokens ?? ['<|endoftext|>']).length === 0) {
    throw new RangeError('specialTokens must name at least one token: the first is bos, eos and unk');
  }
  const { tokens, merges, specialTokens } = trainBpe(texts, options);
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  for (const s of specialTokens) vocab[s.content] = s.id;
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((s) => ({
      id: s.id,
      content: s.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // "a b" strings, as GPT-2 ships them (readable by every tokenizers version); byte-level tokens never
      // contain a space, so the split is unambiguous
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const first = specialTokens[0]?.content ?? null;
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: first,
    eos_token: first,
    unk_token: first,
    model_max_length: options.modelMaxLength ?? 1024,
    add_prefix_space: false,
    add_bos_token: false,
    clean_up_tokenization_spaces: false,
    chat_template: plainChatTemplate,
  };
  return { tokenizerJson, tokenizerConfig };
}

/** A tokenizer directory's files, parsed. */
export interface TokenizerFiles {
  /** tokenizer.json. */
  tokenizer: unknown;
  /** tokenizer_config.json (absent: no special tokens named, no template). */
  config?: unknown;
  /** generation_config.json: eos_token_id (an id or a list), bos_token_id, pad_token_id. */
  generationConfig?: unknown;
  /** chat_template.jinja: wins over tokenizer_config.json's chat_template, as in HF transformers. */
  chatTemplate?: string | undefined;
}

/** The tokenizer_config.json fields templates see as strings (those transformers.js passes). */
const templateTokens = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
];

export class Tokenizer {
  /** One more than the largest token id (merged vocab and added tokens). */
  readonly vocabSize: number;
  /**
   * Every id generation stops on: tokenizer_config.json's eos_token first, then generation_config.json's
   * eos_token_id (an id or a list: Llama 3 Instruct stops on <|eot_id|> and <|end_of_text|>, Qwen3 on
   * <|im_end|> and <|endoftext|>). Neither given: <|endoftext|> (GPT-2's config names no special tokens).
   */
  readonly eosTokenIds: readonly number[];
  /** eosTokenIds[0]: the token that ends a sequence and closes assistant turns. */
  readonly eosTokenId: number;
  /** bos_token, else generation_config.json's bos_token_id, else eos (GPT-2 has one token for both). */
  readonly bosTokenId: number;
  /** pad_token, else generation_config.json's pad_token_id, else eos (as TRL and transformers.js do). */
  readonly padTokenId: number;
  /**
   * Whether encode(text, { addSpecialTokens: true }) starts with bos: add_bos_token when the config sets it,
   * else whether tokenizer.json's post_processor adds it (Llama 3.1+ does, through TemplateProcessing).
   */
  readonly addBosToken: boolean;
  /** The same for eos at the end (add_eos_token). */
  readonly addEosToken: boolean;
  /** Whether the model ships its own chat template; without one, chatTemplate is plainChatTemplate. */
  readonly hasChatTemplate: boolean;
  private readonly hf: HFTokenizer;
  private readonly tokenizerJson: Json;
  private readonly config: Json;
  private readonly template: ChatTemplate;
  private readonly templateWhere: string;
  private readonly templateFromJinja: boolean;
  /** Neither add_bos_token nor add_eos_token set: special tokens are the post_processor's, as in transformers.js. */
  private readonly postProcessorAdds: boolean;

  private constructor(files: TokenizerFiles, dir: string) {
    const tokenizerFile = join(dir, 'tokenizer.json');
    const configFile = join(dir, 'tokenizer_config.json');
    const generationFile = join(dir, 'generation_config.json');
    const config = files.config ?? {};
    const generation = files.generationConfig ?? {};
    if (!isObject(config)) throw new TokenizerError(`${configFile}: expected a JSON object`);
    if (!isObject(generation)) throw new TokenizerError(`${generationFile}: expected a JSON object`);
    checkTokenizerJson(files.tokenizer, tokenizerFile);
    this.tokenizerJson = files.tokenizer;
    this.config = config;
    try {
      this.hf = new HFTokenizer(files.tokenizer, config);
    } catch (err) {
      throw new TokenizerError(`${tokenizerFile}: cannot load the tokenizer: ${(err as Error).message}`);
    }
    this.vocabSize = tokenizerVocabSize(files.tokenizer, tokenizerFile);

    // 1. Special tokens.
    const ids = specialTokenIds(
      config,
      generation,
      (t) => this.hf.token_to_id(t),
      configFile,
      generationFile,
    );
    this.eosTokenIds = ids.eos;
    this.eosTokenId = ids.eos[0]!;
    this.bosTokenId = ids.bos ?? this.eosTokenId;
    this.padTokenId = ids.pad ?? this.eosTokenId;

    // 2. Which special tokens encode adds: the config's flags, else what the post_processor adds to "".
    const addBos = optionalBool(config, 'add_bos_token', configFile);
    const addEos = optionalBool(config, 'add_eos_token', configFile);
    if (addBos && ids.bos === undefined) {
      throw new TokenizerError(
        `${configFile}: add_bos_token: true, but no bos_token is set (nor bos_token_id in generation_config.json)`,
      );
    }
    const probe = this.hf.encode('', { add_special_tokens: true }).ids;
    const postBos = probe.length > 0 && probe[0] === this.bosTokenId;
    this.addBosToken = addBos ?? postBos;
    this.addEosToken = addEos ?? (probe.length > (postBos ? 1 : 0) && probe.at(-1) === this.eosTokenId);
    this.postProcessorAdds = addBos === undefined && addEos === undefined;

    // 3. The chat template: chat_template.jinja, else the config's, else the plain one.
    const own = files.chatTemplate ?? configChatTemplate(config, configFile);
    this.hasChatTemplate = own !== undefined;
    this.templateFromJinja = files.chatTemplate !== undefined;
    this.templateWhere = this.templateFromJinja
      ? join(dir, 'chat_template.jinja')
      : `${configFile}: chat_template${own === undefined ? ' (none: the plain template)' : ''}`;
    const specials: Record<string, string> = {};
    for (const key of templateTokens) {
      const text = specialTokenText(config, key, configFile);
      if (text) specials[key] = text;
    }
    specials['eos_token'] ??= this.hf.id_to_token(this.eosTokenId) ?? '';
    this.template = new ChatTemplate(own ?? plainChatTemplate, this.templateWhere, specials);
  }

  /** Build from parsed files; `dir` names them in error messages. */
  static fromJson(files: TokenizerFiles, dir = '.'): Tokenizer {
    return new Tokenizer(files, dir);
  }

  /** Load tokenizer.json and, when present, tokenizer_config.json, generation_config.json, chat_template.jinja. */
  static async load(dir: string): Promise<Tokenizer> {
    const [tokenizer, config, generationConfig, chatTemplate] = await Promise.all([
      readJsonFile(join(dir, 'tokenizer.json')),
      readJsonFile(join(dir, 'tokenizer_config.json'), true),
      readJsonFile(join(dir, 'generation_config.json'), true),
      readTextFile(join(dir, 'chat_template.jinja'), true),
    ]);
    return new Tokenizer({ tokenizer, config, generationConfig, chatTemplate }, dir);
  }

  /** Train a GPT-2-style byte-level BPE on text; <|endoftext|> is bos, eos and unk unless specialTokens says. */
  static train(texts: string | readonly string[], options: TokenizerTrainOptions): Tokenizer {
    const { tokenizerJson, tokenizerConfig } = bpeTokenizerFiles(texts, options);
    return new Tokenizer({ tokenizer: tokenizerJson, config: tokenizerConfig }, '<trained>');
  }

  /**
   * Token ids of `text`. By default no special tokens are added (special tokens written in the text count);
   * addSpecialTokens adds what HF's tokenizer(text) adds: bos when addBosToken (Llama), eos when addEosToken.
   */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    if (options.addSpecialTokens && this.postProcessorAdds) {
      return this.hf.encode(text, { add_special_tokens: true }).ids;
    }
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    if (!options.addSpecialTokens) return ids;
    if (this.addBosToken) ids.unshift(this.bosTokenId);
    if (this.addEosToken) ids.push(this.eosTokenId);
    return ids;
  }

  /** Text of `ids`, exactly: no clean-up of spaces before punctuation (which would break round trips). */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize || this.hf.id_to_token(id) === undefined) {
        throw new RangeError(`token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
      }
    }
    return this.hf.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** The Jinja chat template in use (the model's, or plainChatTemplate). */
  get chatTemplate(): string {
    return this.template.source;
  }

  /** The conversation as text, as transformers.js's apply_chat_template(messages, { tokenize: false }). */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    return this.template.render(messages, options);
  }

  /** Token ids of the rendered conversation (no special tokens added: the template writes them, as in HF). */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options));
  }

  /** encodeChat's ids and a 0/1 mask over the assistant turns' tokens, for SFT (see assistantTokenMask). */
  encodeChatWithAssistantMask(
    messages: readonly ChatMessage[],
    options: Pick<ChatTemplateOptions, 'variables'> = {},
  ): MaskedChat {
    return assistantTokenMask(
      messages,
      (m, addGenerationPrompt) => this.template.render(m, { ...options, addGenerationPrompt }),
      (text) => this.encode(text),
      this.eosTokenIds,
      this.templateWhere,
    );
  }

  /**
   * Write tokenizer.json and tokenizer_config.json into `dir` (each file atomically). The config gets the
   * template in use as chat_template and its eos_token, when it lacks them, so every engine renders the same
   * prompts (the plain template for models that ship none; a chat_template.jinja moves into the config).
   */
  async save(dir: string): Promise<void> {
    const config: Json = { ...this.config };
    if (this.templateFromJinja || !Array.isArray(config['chat_template'])) {
      config['chat_template'] = this.chatTemplate;
    }
    config['eos_token'] ??= this.hf.id_to_token(this.eosTokenId);
    await writeFileAtomic(join(dir, 'tokenizer.json'), `${JSON.stringify(this.tokenizerJson)}\n`);
    await writeFileAtomic(join(dir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }
}
