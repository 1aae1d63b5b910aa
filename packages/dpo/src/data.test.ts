import { Tokenizer } from '@rlhfkit/model';
import { describe, expect, it } from 'vitest';
import { encodeRows, layoutRows, unpair } from './data.js';

const tok = Tokenizer.train('the cat sat on the mat. a dog ran in the fog. '.repeat(20), { vocabSize: 280 });
const eos = tok.eosTokenId;
const pair = (prompt: string, chosen: string, rejected: string, line: number) => ({
  prompt,
  chosen,
  rejected,
  margin: 0,
  line,
});

describe('encodeRows', () => {
  it('joins the prompt and completion tokens apart, ends the completion with EOS, and marks where it starts', () => {
    const { items } = encodeRows(tok, [pair('the cat', ' sat', ' ran', 1)], {
      kto: false,
      maxLength: 32,
      batchSize: 1,
    });
    const p = tok.encode('the cat');
    expect(items[0]!.a).toEqual({ ids: [...p, ...tok.encode(' sat'), eos], promptLength: p.length });
    expect(items[0]!.b).toEqual({ ids: [...p, ...tok.encode(' ran'), eos], promptLength: p.length });
  });

  it('takes the common token prefix as the prompt of an implicit-prompt pair, and BOS when there is none', () => {
    const { items } = encodeRows(
      tok,
      [pair('', 'the cat sat on the mat', 'the cat ran in the fog', 1), pair('', 'a dog', 'the fog', 2)],
      { kto: false, maxLength: 32, batchSize: 1 },
    );
    const c = tok.encode('the cat sat on the mat');
    const r = tok.encode('the cat ran in the fog');
    let k = 0;
    while (c[k] === r[k]) k++;
    expect(k).toBeGreaterThan(0);
    expect(items[0]!.a).toEqual({ ids: [...c, eos], promptLength: k });
    expect(items[0]!.b.ids.slice(0, k)).toEqual(c.slice(0, k));
    expect(items[1]!.a).toEqual({ ids: [tok.bosTokenId, ...tok.encode('a dog'), eos], promptLength: 1 });
  });

  it('keeps the first maxLength tokens and drops a row whose prompt leaves no room, naming its line', () => {
    const long = 'the cat sat on the mat. '.repeat(3);
    const n = tok.encode(long).length;
    const out = encodeRows(
      tok,
      [pair(long, ' sat on the mat', ' ran', 1), pair('the cat', ' sat', ' ran', 2)],
      {
        kto: false,
        maxLength: n,
        batchSize: 1,
      },
    );
    expect(out.dropped).toEqual([1]);
    const short = encodeRows(tok, [pair('the cat', ' sat on the mat', ' ran', 3)], {
      kto: false,
      maxLength: 4,
      batchSize: 1,
    });
    expect(short.items[0]!.a.ids).toHaveLength(4);
  });

  it('unpairs pairs for kto and pairs each row with the previous completion of its batch for the KL point', () => {
    const rows = unpair([pair('p1', ' a', ' b', 1), pair('p2', ' c', ' d', 2)]);
    expect(rows.map((r) => [r.prompt, r.completion, r.label])).toEqual([
      ['p1', ' a', true],
      ['p2', ' c', true],
      ['p1', ' b', false],
      ['p2', ' d', false],
    ]);
    const { items } = encodeRows(tok, rows, { kto: true, maxLength: 32, batchSize: 2 });
    const comp = (s: string) => [...tok.encode(s), eos];
    // batches [0, 1] and [2, 3]: row 0 takes row 1's completion, row 1 row 0's; likewise 2 and 3.
    expect(items.map((it) => it.b.ids.slice(it.b.promptLength))).toEqual([
      comp(' c'),
      comp(' a'),
      comp(' d'),
      comp(' b'),
    ]);
    expect(items.map((it) => it.label)).toEqual([1, 1, 0, 0]);
  });

  it('refuses unpaired rows for the pairwise losses and a mix of both kinds', () => {
    const row = { prompt: 'p', completion: ' a', label: true, line: 1 };
    expect(() => encodeRows(tok, [row], { kto: false, maxLength: 8, batchSize: 1 })).toThrow(
      /train with lossType kto/,
    );
    expect(() =>
      encodeRows(tok, [row, pair('p', ' a', ' b', 2)], { kto: true, maxLength: 8, batchSize: 1 }),
    ).toThrow(/not a mix/);
  });
});

describe('layoutRows', () => {
  it('scores completion token j + 1 at column j, only over the completion', () => {
    const b = layoutRows([{ ids: [5, 6, 7, 8], promptLength: 2 }], 6, 0);
    expect(Array.from(b.ids)).toEqual([5, 6, 7, 8, 0, 0]);
    expect(Array.from(b.targets)).toEqual([6, 7, 8, 0, 0, 0]);
    expect(Array.from(b.lossMask)).toEqual([0, 1, 1, 0, 0, 0]);
    expect(Array.from(b.attn)).toEqual([1, 1, 1, 1, 0, 0]);
  });
});
