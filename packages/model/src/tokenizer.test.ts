import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@rlhfkit/engine';
import { describe, expect, it } from 'vitest';
import { byteOrder, byteToUnicode } from './bpe-train.js';
import { Tokenizer } from './tokenizer.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tokenizer-'));

/** The engine's seeded generator as a function. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** English-like text: Zipf-distributed words built from syllables, with punctuation and line breaks. */
function syntheticText(bytes: number, seed = 1): string {
  const r = rng(seed);
  const syl = [
    'th',
    'e',
    'an',
    'in',
    'er',
    'on',
    're',
    'st',
    'ou',
    'ing',
    'ed',
    'al',
    'ch',
    'y',
    'o',
    'a',
    'k',
  ];
  const words = Array.from({ length: 3000 }, () =>
    Array.from({ length: 1 + Math.floor(r() * 4) }, () => syl[Math.floor(r() * syl.length)]).join(''),
  );
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = words[Math.floor(words.length * r() ** 3)]!;
    const sep = r() < 0.08 ? '. ' : r() < 0.05 ? ',\n' : ' ';
    parts.push(w, sep);
    n += w.length + sep.length;
  }
  return parts.join('');
}

const tricky = [
  '',
  ' ',
  'Hello, world!',
  '  leading and trailing spaces  ',
  'line one\nline two\r\n\n\ttabbed\u00a0nbsp',
  "it's they're we've I'm you'll he'd",
  'Ünïcödé: café, naïve, Zürich; 日本語のテキスト; Русский текст; עברית; العربية',
  'emoji 🙂👍🏽 family 👨‍👩‍👧 flags 🇯🇵 combining e\u0301 zero-width\u200bjoiner',
  'numbers 3.14159 1,000,000 2024-01-01 0x1F',
  'code: const x = (a) => a ** 2; // comment',
  'special <|endoftext|> in the middle<|endoftext|>',
  " .  ?  ! , n't 'm 's", // patterns a "clean up spaces" pass would alter
];

function randomUnicode(r: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const pick = r();
    let cp: number;
    if (pick < 0.4) cp = 32 + Math.floor(r() * 95);
    else if (pick < 0.5) cp = [9, 10, 13, 32, 160][Math.floor(r() * 5)]!;
    else if (pick < 0.8) cp = 0xa0 + Math.floor(r() * 0x3000);
    else cp = 0x10000 + Math.floor(r() * 0x1000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41; // no lone surrogates: they are not text
    s += String.fromCodePoint(cp);
  }
  return s;
}

describe('Tokenizer', () => {
  const trained = Tokenizer.train(syntheticText(60_000) + tricky.join('\n'), { vocabSize: 600 });

  it('round-trips arbitrary text exactly: unicode, newlines, spaces, special tokens', () => {
    for (const text of tricky) expect(trained.decode(trained.encode(text))).toBe(text);
    const r = rng(7);
    for (let i = 0; i < 300; i++) {
      const text = randomUnicode(r, 1 + Math.floor(r() * 40));
      expect(trained.decode(trained.encode(text))).toBe(text);
    }
  });

  it('has the requested vocab size with <|endoftext|> as the last id, and compresses text', () => {
    expect(trained.vocabSize).toBe(600);
    expect(trained.eosTokenId).toBe(599);
    expect(trained.bosTokenId).toBe(599);
    expect(trained.encode('a<|endoftext|>b')).toEqual([...trained.encode('a'), 599, ...trained.encode('b')]);
    const text = syntheticText(5000, 2);
    expect(trained.encode(text).length).toBeLessThan(text.length / 2.5);
  });

  it('saves GPT-2-format files that load back to the same tokenizer', async () => {
    const dir = tmp();
    await trained.save(dir);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false });
    expect(json.decoder.type).toBe('ByteLevel');
    expect(typeof json.model.merges[0]).toBe('string');
    expect(json.model.merges[0].split(' ')).toHaveLength(2);
    expect(json.added_tokens).toEqual([
      expect.objectContaining({ id: 599, content: '<|endoftext|>', special: true }),
    ]);
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({
      tokenizer_class: 'GPT2Tokenizer',
      eos_token: '<|endoftext|>',
      model_max_length: 1024,
    });
    const loaded = await Tokenizer.load(dir);
    expect(loaded.vocabSize).toBe(600);
    for (const text of tricky) expect(loaded.encode(text)).toEqual(trained.encode(text));
  });

  it('trains a 4k vocab on 1 MB of text in seconds', () => {
    const text = syntheticText(1_000_000, 3);
    const t0 = performance.now();
    const tok = Tokenizer.train(text, { vocabSize: 4096, minFrequency: 2 });
    const seconds = (performance.now() - t0) / 1000;
    expect(tok.vocabSize).toBeGreaterThan(2000); // the synthetic language has fewer distinct pairs than English
    expect(seconds).toBeLessThan(20); // about 0.5 s on the 2-core dev VM; the bound allows a busy CI machine
  });

  it('rejects ids outside the vocabulary and decodes an empty list to ""', () => {
    expect(trained.decode([])).toBe('');
    expect(() => trained.decode([600])).toThrow(/token id 600 is not in the vocabulary \(size 600\)/);
    expect(() => trained.decode([-1])).toThrow(RangeError);
  });
});

describe('loading an existing GPT-2 tokenizer.json', () => {
  /** A small tokenizer.json in the exact layout of GPT-2's: 256 byte tokens, "a b" merges, eos last. */
  function gpt2StyleDir(): string {
    const vocab: Record<string, number> = {};
    byteOrder.forEach((b, i) => {
      vocab[byteToUnicode[b]!] = i;
    });
    const merges = ['Ġ t', 'h e', 'Ġt he', 'i s', 'Ġ is', 't he', 'Ġ c', 'Ġc a', 'Ġca t'];
    for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
    const eos = Object.keys(vocab).length;
    vocab['<|endoftext|>'] = eos;
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    const json = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [
        {
          id: eos,
          content: '<|endoftext|>',
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: true,
          special: true,
        },
      ],
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
        vocab,
        merges,
      },
    };
    const dir = tmp();
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    // the gpt2 checkpoint's tokenizer_config.json names no special tokens
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1024 }));
    return dir;
  }

  it('loads, applies its merges in rank order, and round-trips', async () => {
    const tok = await Tokenizer.load(gpt2StyleDir());
    expect(tok.vocabSize).toBe(266);
    expect(tok.eosTokenId).toBe(265);
    const ids = tok.encode('the cat is the');
    expect(ids.map((i) => tok.idToToken(i))).toEqual(['the', 'Ġcat', 'Ġis', 'Ġthe']);
    expect(tok.decode(ids)).toBe('the cat is the');
    const text = 'Other text, with ünïcode and\nnewlines<|endoftext|>';
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.encode('<|endoftext|>')).toEqual([265]);
  });

  it('loads without tokenizer_config.json, and names the file when tokenizer.json is broken', async () => {
    const dir = gpt2StyleDir();
    rmSync(join(dir, 'tokenizer_config.json'));
    expect((await Tokenizer.load(dir)).eosTokenId).toBe(265);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    await expect(Tokenizer.load(dir)).rejects.toThrow(`${join(dir, 'tokenizer.json')}: invalid JSON`);
  });
});
