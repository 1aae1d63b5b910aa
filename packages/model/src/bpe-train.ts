/**
 * Byte-level BPE training, GPT-2 style. Text is split on special tokens, then by the GPT-2 pre-tokenizer
 * regex; each piece is UTF-8 bytes, each byte a printable stand-in character (GPT-2's bytes_to_unicode), so
 * every string is encodable and decodes back exactly. Merges are learned by repeatedly joining the most
 * frequent adjacent pair.
 *
 * Pair counts are kept incrementally: a merge only revisits the words that contain the merged pair (an index
 * from pair to words), adjusts the counts of the pairs it changed, and pushes those onto a max-heap whose stale
 * entries are skipped on pop. No recount per merge.
 */

/** GPT-2's pre-tokenizer pattern, as @huggingface/tokenizers' ByteLevel pre-tokenizer uses it. */
export const gpt2SplitPattern =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2 byte order: printable bytes keep their code point; the rest map to 256, 257, ... in byte order. */
export const byteOrder: readonly number[] = (() => {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const printable = new Set(bs);
  for (let b = 0; b < 256; b++) if (!printable.has(b)) bs.push(b);
  return bs;
})();

/** byteToUnicode[b]: the stand-in character for byte b (GPT-2's bytes_to_unicode). */
export const byteToUnicode: readonly string[] = (() => {
  const out = new Array<string>(256);
  let n = 0;
  for (const b of byteOrder) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return out;
})();

export interface BpeTrainOptions {
  /** Total vocab size: 256 byte tokens + merges + special tokens. Training stops early if pairs run out. */
  vocabSize: number;
  /** Special tokens, given ids after the merges (GPT-2: <|endoftext|> last). Never split or learned from. */
  specialTokens?: readonly string[];
  /** Pairs seen fewer times than this are never merged. */
  minFrequency?: number;
}

export interface BpeModel {
  /** Token strings by id: the 256 bytes in GPT-2 order, then one per merge (ids of duplicates reused). */
  tokens: string[];
  /** Merges in rank order, as pairs of token strings. */
  merges: [string, string][];
  /** Special tokens and their ids (after every merged token). */
  specialTokens: { content: string; id: number }[];
}

const keyBase = 2 ** 21; // pair key = a * keyBase + b; token ids stay far below 2^21

/** Count pre-tokenized words in the texts, skipping special tokens. */
export function countWords(texts: readonly string[], specialTokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const escaped = specialTokens.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const specials = escaped.length > 0 ? new RegExp(escaped.join('|'), 'u') : null;
  for (const text of texts) {
    for (const section of specials ? text.split(specials) : [text]) {
      for (const m of section.matchAll(gpt2SplitPattern)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    }
  }
  return counts;
}

/** A max-heap of (count, pair key); ties go to the smaller key, so training is deterministic. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.above(l, best)) best = l;
        if (r < this.keys.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Train a byte-level BPE on `texts`. */
export function trainBpe(texts: string | readonly string[], options: BpeTrainOptions): BpeModel {
  const specials = options.specialTokens ?? ['<|endoftext|>'];
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isSafeInteger(options.vocabSize) || options.vocabSize < 256 + specials.length) {
    throw new RangeError(
      `vocabSize must be an integer >= ${256 + specials.length}, got ${options.vocabSize}`,
    );
  }
  const tokens = byteOrder.map((b) => byteToUnicode[b]!);
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const byteId = new Int32Array(256);
  byteOrder.forEach((b, i) => {
    byteId[b] = i;
  });

  // 1. unique words as symbol-id sequences, with their counts
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const wordCount: number[] = [];
  for (const [word, count] of countWords(typeof texts === 'string' ? [texts] : texts, specials)) {
    words.push(Array.from(encoder.encode(word), (b) => byteId[b]!));
    wordCount.push(count);
  }

  // 2. initial pair counts and the pair -> words index
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addPairs = (w: number, sign: number, delta: Map<number, number> | null, index: boolean): void => {
    const sym = words[w]!;
    const c = wordCount[w]! * sign;
    for (let i = 0; i + 1 < sym.length; i++) {
      const key = sym[i]! * keyBase + sym[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      if (delta) delta.set(key, (delta.get(key) ?? 0) + c);
      if (index) {
        const list = pairWords.get(key);
        if (list) list.push(w);
        else pairWords.set(key, [w]);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1, null, true);
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  // 3. merge the most frequent pair until the vocab is full or no pair is frequent enough
  const merges: [string, string][] = [];
  const mergedKeys = new Set<number>();
  const visited = new Int32Array(words.length).fill(-1);
  let round = 0;
  while (tokens.length + specials.length < options.vocabSize && heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCount.get(key) !== count) continue; // stale entry
    if (count < minFrequency || count <= 0) break;
    const a = Math.floor(key / keyBase);
    const b = key % keyBase;
    const merged = tokens[a]! + tokens[b]!;
    let id = idOf.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      idOf.set(merged, id);
    }
    // a pair can re-form after a merge reuses an existing token's id; its first rank already covers it
    if (!mergedKeys.has(key)) merges.push([tokens[a]!, tokens[b]!]);
    mergedKeys.add(key);
    round++;
    const delta = new Map<number, number>();
    for (const w of pairWords.get(key) ?? []) {
      if (visited[w] === round) continue;
      visited[w] = round;
      const sym = words[w]!;
      const out: number[] = [];
      for (let i = 0; i < sym.length; i++) {
        if (sym[i] === a && sym[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(sym[i]!);
      }
      if (out.length === sym.length) continue; // an old index entry: this word no longer holds the pair
      addPairs(w, -1, delta, false);
      words[w] = out;
      addPairs(w, 1, delta, true);
    }
    pairWords.delete(key);
    for (const [k, d] of delta) {
      const c = pairCount.get(k) ?? 0;
      if (c <= 0) pairCount.delete(k);
      else if (d !== 0) heap.push(c, k);
    }
  }
  const specialTokens = specials.map((content, i) => ({ content, id: tokens.length + i }));
  return { tokens, merges, specialTokens };
}
