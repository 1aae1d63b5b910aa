import type { JobEvent } from '@rlhfkit/io';
import { describe, expect, it } from 'vitest';
import { jsonPrinter, plainPrinter } from './plain.js';

function printer() {
  let out = '';
  let err = '';
  let t = 0;
  const print = plainPrinter(
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
    () => t,
  );
  return {
    print,
    advance: (ms: number) => {
      t += ms;
    },
    out: () => out,
    err: () => err,
  };
}

describe('plainPrinter', () => {
  it('prints one line per stage and progress about ten times per stage, with an ETA', () => {
    const p = printer();
    p.print({ type: 'stage', stage: 'ppo', index: 4, total: 6 });
    for (let step = 1; step <= 100; step++) {
      p.advance(100);
      p.print({ type: 'progress', stage: 'ppo', step, total: 100 });
    }
    const lines = p.out().trim().split('\n');
    expect(lines[0]).toBe('[5/6] ppo');
    expect(lines).toHaveLength(11);
    expect(lines[1]).toBe('ppo  step 10/100 10%  eta 9.0s');
    expect(lines.at(-1)).toBe('ppo  step 100/100 100%  eta 0.0s');
  });

  it('prints a metrics summary with the headline keys on the same cadence', () => {
    const p = printer();
    p.print({ type: 'progress', stage: 'ppo', step: 1, total: 10 });
    p.print({
      type: 'metrics',
      stage: 'ppo',
      step: 1,
      metrics: { 'objective/kl': 0.01, 'val/ratio': 1, 'objective/scores': 0.5 },
    });
    expect(p.out()).toContain('ppo  step 1  objective/scores=0.5 objective/kl=0.01\n');
    expect(p.out()).not.toContain('val/ratio');
  });

  it('still prints a slow stage at least every 10 s', () => {
    const p = printer();
    p.print({ type: 'progress', stage: 'pretrain', step: 1, total: 1000 });
    p.advance(11_000);
    p.print({ type: 'progress', stage: 'pretrain', step: 2, total: 1000 });
    expect(p.out()).toContain('pretrain  step 2/1000');
  });

  it('sends warnings and errors to stderr and the summary to stdout', () => {
    const p = printer();
    p.print({ type: 'log', level: 'warn', message: 'RM accuracy is near 50%' });
    p.print({ type: 'error', message: 'out of memory' });
    p.print({ type: 'done', summary: { gold_score_after: 0.61, note: 'ok', nested: { a: 1 } } });
    expect(p.err()).toBe('warn: RM accuracy is near 50%\nerror: out of memory\n');
    expect(p.out()).toContain('done after 0.0s');
    expect(p.out()).toContain('gold_score_after: 0.61');
    expect(p.out()).toContain('note: ok');
    expect(p.out()).not.toContain('nested');
  });
});

describe('jsonPrinter', () => {
  it('prints each event as one JSON line', () => {
    let out = '';
    const print = jsonPrinter({ write: (s: string) => (out += s) });
    const events: JobEvent[] = [
      { type: 'stage', stage: 'ppo', index: 0, total: 1 },
      { type: 'samples', stage: 'ppo', step: 1, samples: [{ prompt: 'a\nb', completion: 'c', score: 1 }] },
    ];
    for (const e of events) print(e);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(events);
  });
});
