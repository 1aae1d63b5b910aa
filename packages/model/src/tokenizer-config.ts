/**
 * Reading a HF tokenizer directory's files and checking the fields the tokenizer uses: tokenizer.json's shape,
 * tokenizer_config.json's special tokens, add_bos_token / add_eos_token and chat_template, and
 * generation_config.json's token ids. Every problem is one TokenizerError naming the file and the key (the
 * CLI prints it and exits 2).
 */
import { readFile } from 'node:fs/promises';

/** A tokenizer file the user has to fix: the message names the file and the key. */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse a JSON file; `undefined` when it does not exist and `optional` is set. */
export async function readJsonFile(path: string, optional = false): Promise<unknown> {
  const text = await readTextFile(path, optional);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TokenizerError(`${path}: invalid JSON (${(err as Error).message})`);
  }
}

export async function readTextFile(path: string, optional = false): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Check the parts of tokenizer.json that @huggingface/tokenizers would otherwise accept silently or fail on
 * with a bare TypeError: the model object, its vocab (an object; a list for Unigram) and BPE merges.
 */
export function checkTokenizerJson(json: unknown, file: string): asserts json is Json {
  if (!isObject(json)) throw new TokenizerError(`${file}: expected a JSON object`);
  const model = json['model'];
  if (!isObject(model)) throw new TokenizerError(`${file}: model: expected an object`);
  const type = model['type'] ?? 'BPE';
  if (!['BPE', 'WordPiece', 'WordLevel', 'Unigram'].includes(type as string)) {
    throw new TokenizerError(
      `${file}: model.type: ${JSON.stringify(type)} is not BPE, WordPiece, WordLevel or Unigram`,
    );
  }
  const vocab = model['vocab'];
  if (type === 'Unigram' ? !Array.isArray(vocab) : !isObject(vocab)) {
    throw new TokenizerError(`${file}: model.vocab: expected ${type === 'Unigram' ? 'a list' : 'an object'}`);
  }
  if (type === 'BPE' && !Array.isArray(model['merges'])) {
    throw new TokenizerError(`${file}: model.merges: expected a list`);
  }
  if (json['added_tokens'] != null && !Array.isArray(json['added_tokens'])) {
    throw new TokenizerError(`${file}: added_tokens: expected a list`);
  }
}

/** One more than the largest id of tokenizer.json: its model's vocab (Unigram's is a list) and added_tokens. */
export function tokenizerVocabSize(json: Json, file: string): number {
  const vocab = (json['model'] as Json)['vocab'];
  const ids = Array.isArray(vocab) ? [vocab.length - 1] : Object.values(vocab as Json);
  const added = ((json['added_tokens'] ?? []) as unknown[]).map((t) => (isObject(t) ? t['id'] : undefined));
  let max = -1;
  for (const [key, list] of [['model.vocab', ids] as const, ['added_tokens', added] as const]) {
    for (const id of list) {
      if (!Number.isInteger(id))
        throw new TokenizerError(`${file}: ${key}: token id ${JSON.stringify(id)} is not an integer`);
      max = Math.max(max, id as number);
    }
  }
  return max + 1;
}

/**
 * The text of a special token field (bos_token, eos_token, pad_token...): a string, an AddedToken object
 * { content } (older files add "__type": "AddedToken"), or null / absent for none.
 */
export function specialTokenText(config: Json, key: string, file: string): string | undefined {
  const v = config[key];
  if (v == null) return undefined;
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v['content'] === 'string') return v['content'];
  throw new TokenizerError(
    `${file}: ${key}: expected a token string or {"content": "..."}, got ${JSON.stringify(v)}`,
  );
}

/** A boolean field, or undefined when absent or null. */
export function optionalBool(config: Json, key: string, file: string): boolean | undefined {
  const v = config[key];
  if (v == null) return undefined;
  if (typeof v !== 'boolean')
    throw new TokenizerError(`${file}: ${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The token ids of a generation_config.json field: an integer or a list of them (eos_token_id), or none.
 * They may lie past the tokenizer's vocabulary (the model's vocab_size can be larger); config.json checks them.
 */
export function generationIds(config: Json, key: string, file: string): number[] {
  const v = config[key];
  if (v == null) return [];
  const ids = Array.isArray(v) ? v : [v];
  if (!ids.every((id) => Number.isInteger(id) && id >= 0)) {
    throw new TokenizerError(
      `${file}: ${key}: expected a token id or a list of them, got ${JSON.stringify(v)}`,
    );
  }
  return ids as number[];
}

/** The added_tokens_decoder of tokenizer_config.json as content -> id (HF keeps ids as object keys). */
export function addedTokenIds(config: Json, file: string): Map<string, number> {
  const out = new Map<string, number>();
  const decoder = config['added_tokens_decoder'];
  if (decoder == null) return out;
  if (!isObject(decoder)) throw new TokenizerError(`${file}: added_tokens_decoder: expected an object`);
  for (const [id, token] of Object.entries(decoder)) {
    const content = isObject(token) ? token['content'] : undefined;
    if (!/^\d+$/.test(id) || typeof content !== 'string') {
      throw new TokenizerError(
        `${file}: added_tokens_decoder.${id}: expected an integer key and {"content": "..."}`,
      );
    }
    out.set(content, Number(id));
  }
  return out;
}

/**
 * The special token ids: tokenizer_config.json's token strings (through added_tokens_decoder, then the
 * vocabulary), then generation_config.json's ids. eos lists the config's eos_token first, then every
 * eos_token_id (each once); with neither, GPT-2's <|endoftext|>. bos and pad are undefined when neither file
 * names them (the tokenizer falls back to eos).
 */
export function specialTokenIds(
  config: Json,
  generation: Json,
  tokenToId: (token: string) => number | undefined,
  configFile: string,
  generationFile: string,
): { eos: number[]; bos: number | undefined; pad: number | undefined } {
  const added = addedTokenIds(config, configFile);
  const idOf = (key: string): number | undefined => {
    const text = specialTokenText(config, key, configFile);
    if (text === undefined) return undefined;
    const id = added.get(text) ?? tokenToId(text);
    if (id === undefined) {
      throw new TokenizerError(
        `${configFile}: ${key}: ${JSON.stringify(text)} is not a token of tokenizer.json`,
      );
    }
    return id;
  };
  const genIds = (key: string) => generationIds(generation, key, generationFile);
  const configEos = idOf('eos_token');
  const eos = [...new Set([...(configEos === undefined ? [] : [configEos]), ...genIds('eos_token_id')])];
  if (eos.length === 0) {
    const gpt2Eos = tokenToId('<|endoftext|>');
    if (gpt2Eos === undefined) {
      throw new TokenizerError(
        `${configFile}: eos_token: not set (nor eos_token_id in generation_config.json), and tokenizer.json ` +
          'has no <|endoftext|>; name the token that ends a sequence',
      );
    }
    eos.push(gpt2Eos);
  }
  return {
    eos,
    bos: idOf('bos_token') ?? genIds('bos_token_id')[0],
    pad: idOf('pad_token') ?? genIds('pad_token_id')[0],
  };
}
