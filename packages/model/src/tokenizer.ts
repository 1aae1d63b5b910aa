/**
 * The tokenizer: HF tokenizer.json + tokenizer_config.json, run by @huggingface/tokenizers (the library
 * transformers.js uses), so what we train loads there too and any GPT-2-style tokenizer.json loads here.
 * Training (bpe-train.ts) produces a byte-level BPE in exactly GPT-2's format.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { writeFileAtomic } from '@rlhfkit/io';
import { type BpeTrainOptions, trainBpe } from './bpe-train.js';

export interface TokenizerTrainOptions extends BpeTrainOptions {
  /** Recorded as model_max_length in tokenizer_config.json (set it to the model's nPositions). */
  modelMaxLength?: number;
}

type Json = Record<string, unknown>;

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
  };
  return { tokenizerJson, tokenizerConfig };
}

/** A special token in tokenizer_config.json is a string or an AddedToken object { content }. */
function specialContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json)['content'] === 'string') {
    return (v as Json)['content'] as string;
  }
  return undefined;
}

export class Tokenizer {
  /** One more than the largest token id (merged vocab and added tokens). */
  readonly vocabSize: number;
  readonly eosTokenId: number;
  readonly bosTokenId: number;
  private readonly hf: HFTokenizer;

  private constructor(
    private readonly tokenizerJson: Json,
    private readonly tokenizerConfig: Json,
    source: string,
  ) {
    try {
      this.hf = new HFTokenizer(tokenizerJson, tokenizerConfig);
    } catch (err) {
      throw new Error(`${source}: cannot load tokenizer: ${(err as Error).message}`);
    }
    let max = -1;
    for (const id of this.hf.get_vocab(true).values()) max = Math.max(max, id);
    this.vocabSize = max + 1;
    const idOf = (field: 'eos_token' | 'bos_token'): number => {
      const name = specialContent(tokenizerConfig[field]) ?? '<|endoftext|>';
      const id = this.hf.token_to_id(name);
      if (id === undefined) {
        throw new Error(`${source}: ${field} ${JSON.stringify(name)} is not in the vocabulary`);
      }
      return id;
    };
    this.eosTokenId = idOf('eos_token');
    this.bosTokenId = idOf('bos_token');
  }

  /** Build from parsed tokenizer.json and tokenizer_config.json objects. */
  static fromJson(
    tokenizerJson: unknown,
    tokenizerConfig: unknown = {},
    source = 'tokenizer.json',
  ): Tokenizer {
    const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(tokenizerJson)) throw new Error(`${source}: expected a JSON object`);
    if (!isObject(tokenizerConfig)) throw new Error(`${source}: tokenizer config is not a JSON object`);
    return new Tokenizer(tokenizerJson, tokenizerConfig, source);
  }

  /** Load tokenizer.json (and tokenizer_config.json, if present; GPT-2's eos is the fallback) from `dir`. */
  static async load(dir: string): Promise<Tokenizer> {
    const path = join(dir, 'tokenizer.json');
    const json = await readJson(path);
    const configPath = join(dir, 'tokenizer_config.json');
    const config = await readJson(configPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return {};
      throw err;
    });
    return Tokenizer.fromJson(json, config, path);
  }

  /** Train a GPT-2-style byte-level BPE on text; <|endoftext|> is bos, eos and unk unless specialTokens says. */
  static train(texts: string | readonly string[], options: TokenizerTrainOptions): Tokenizer {
    const { tokenizerJson, tokenizerConfig } = bpeTokenizerFiles(texts, options);
    return new Tokenizer(tokenizerJson, tokenizerConfig, '<trained>');
  }

  /** Token ids of `text`; no special tokens are added (GPT-2 adds none), but ones written in the text count. */
  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
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

  /** Write tokenizer.json and tokenizer_config.json into `dir` (each file atomically). */
  async save(dir: string): Promise<void> {
    await writeFileAtomic(join(dir, 'tokenizer.json'), `${JSON.stringify(this.tokenizerJson)}\n`);
    await writeFileAtomic(
      join(dir, 'tokenizer_config.json'),
      `${JSON.stringify(this.tokenizerConfig, null, 2)}\n`,
    );
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: invalid JSON (${(err as Error).message})`);
  }
}
