import { describe, expect, it } from 'vitest';
import { byteOrder, byteToUnicode, countWords, trainBpe } from './bpe-train.js';

/** The textbook trainer: recount every pair before every merge. Same tie-break as ours (count, then ids). */
function naiveBpe(text: string, vocabSize: number, minFrequency: number): [string, string][] {
  const tokens = byteOrder.map((b) => byteToUnicode[b]!);
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const words = [...countWords([text], ['<|endoftext|>'])].map(([w, n]) => ({
    sym: Array.from(new TextEncoder().encode(w), (b) => idOf.get(byteToUnicode[b]!)!),
    n,
  }));
  const merges: [string, string][] = [];
  while (tokens.length + 1 < vocabSize) {
    const counts = new Map<string, number>();
    for (const { sym, n } of words) {
      for (let i = 0; i + 1 < sym.length; i++) {
        const k = `${sym[i]},${sym[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) + n);
      }
    }
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [k, c] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (!best || bestCount < minFrequency) break;
    const [a, b] = best;
    const merged = tokens[a]! + tokens[b]!;
    let id = idOf.get(merged);
    if (id === undefined) {
      id = tokens.push(merged) - 1;
      idOf.set(merged, id);
    }
    merges.push([tokens[a]!, tokens[b]!]);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.sym.length; i++) {
        if (w.sym[i] === a && w.sym[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(w.sym[i]!);
      }
      w.sym = out;
    }
  }
  return merges;
}

const corpus = [
  'the cat sat on the mat. the dog sat on the log; thethethe aaaa aaaaa!',
  'Ünïcödé wörds, 日本語のテキスト, and emoji 🙂🙂 mixed with numbers 12345 1234.',
  "it's what we'd've done<|endoftext|>they'll say it's fine\n\n\tindented\r\n",
].join('\n');

describe('byte-level BPE training', () => {
  it('maps bytes like GPT-2: printable ASCII as itself, space as Ġ, newline as Ċ, 256 distinct characters', () => {
    expect(byteToUnicode[65]).toBe('A');
    expect(byteToUnicode[32]).toBe('Ġ');
    expect(byteToUnicode[10]).toBe('Ċ');
    expect(new Set(byteToUnicode).size).toBe(256);
    expect(byteOrder.slice(0, 3)).toEqual([33, 34, 35]); // GPT-2's vocab starts "!", '"', "#"
  });

  it('never learns from or splits special tokens', () => {
    const words = countWords(['a<|endoftext|>b'], ['<|endoftext|>']);
    expect([...words.keys()].sort()).toEqual(['a', 'b']);
  });

  it('learns the same merges as a naive recount per merge', () => {
    for (const minFrequency of [1, 2]) {
      const ours = trainBpe(corpus, { vocabSize: 400, minFrequency });
      expect(ours.merges).toEqual(naiveBpe(corpus, 400, minFrequency));
    }
  });

  it('fills the vocab exactly when the text allows, with special tokens last', () => {
    const m = trainBpe(corpus.repeat(3), { vocabSize: 300, minFrequency: 1 });
    expect(m.tokens.length + m.specialTokens.length).toBe(300);
    expect(m.specialTokens).toEqual([{ content: '<|endoftext|>', id: 299 }]);
    expect(m.merges[0]).toEqual(['t', 'h']); // the most frequent pair in the corpus
  });

  it('stops early when no pair is frequent enough', () => {
    const m = trainBpe('abcdef', { vocabSize: 1000, minFrequency: 2 });
    expect(m.merges).toEqual([]);
    expect(m.tokens.length).toBe(256);
  });

  it('rejects a vocab size too small for the bytes and special tokens', () => {
    expect(() => trainBpe('x', { vocabSize: 256 })).toThrow(/vocabSize must be an integer >= 257/);
  });
});
