import { describe, expect, it } from 'vitest';
import { ProtocolError, parseRewardRequest, rewardResponseJson, splitQuery } from './protocol.js';

const parse = (body: unknown, needsPrompts = false) =>
  parseRewardRequest(typeof body === 'string' ? body : JSON.stringify(body), { needsPrompts });

/** The ProtocolError a body raises (fails the test when it parses). */
function refusal(body: unknown, needsPrompts = false): ProtocolError {
  try {
    parse(body, needsPrompts);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('the body was accepted');
}

describe('OpenRLHF request parsing', () => {
  it('turns query, prompts and labels into one item per query, in order', () => {
    const items = parse({
      query: ['Q: a A: b', 'Q: c A: d'],
      prompts: ['Q: a A:', 'Q: c A:'],
      labels: ['b', null],
    });
    expect(items).toEqual([
      { query: 'Q: a A: b', prompt: 'Q: a A:', label: 'b' },
      { query: 'Q: c A: d', prompt: 'Q: c A:', label: null },
    ]);
  });

  it('accepts a query-only body (what serve_rm.py reads) and ignores unknown fields', () => {
    expect(parse({ query: ['x'], extra: 1 })).toEqual([{ query: 'x', prompt: undefined, label: undefined }]);
    expect(parse({ query: [] }, true)).toEqual([]);
  });

  it('refuses a body that is not JSON', () => {
    const e = refusal('{"query": [');
    expect([e.status, e.field]).toEqual([400, undefined]);
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('names the field when the body is not an object', () => {
    const e = refusal([1, 2]);
    expect([e.status, e.field]).toEqual([400, 'body']);
  });

  it('names query when it is missing or not a list of strings', () => {
    expect(refusal({ prompts: ['a'] }).field).toBe('query');
    expect(refusal({ query: 'one string' }).field).toBe('query');
    const e = refusal({ query: ['a', 'b', 'c', 7] });
    expect(e.field).toBe('query[3]');
    expect(e.message).toMatch(/^query\[3\]: .*string/);
  });

  it('names prompts and labels when their lengths differ from query', () => {
    const p = refusal({ query: ['a', 'b'], prompts: ['a'] });
    expect(p.field).toBe('prompts');
    expect(p.message).toMatch(/has 1 entries but query has 2/);
    expect(refusal({ query: ['a'], labels: [1, 2] }).field).toBe('labels');
    expect(refusal({ query: ['a'], prompts: [3] }).field).toBe('prompts[0]');
  });

  it('asks for prompts when the scorer needs them', () => {
    const e = refusal({ query: ['a'] }, true);
    expect(e.field).toBe('prompts');
    expect(e.message).toMatch(/reward function/);
  });

  it('answers with rewards, the same scores (as serve_rm.py) and extra_logs, every number a float', () => {
    const text = rewardResponseJson([0.5, -1, 3, 1e-7, 2 ** 80]);
    expect(JSON.parse(text)).toEqual({
      rewards: [0.5, -1, 3, 1e-7, 2 ** 80],
      scores: [0.5, -1, 3, 1e-7, 2 ** 80],
      extra_logs: {},
    });
    // Python's json reads 3.0 as a float and 3 as an int (which would make OpenRLHF's reward tensor int64).
    expect(text).toContain('"rewards":[0.5,-1.0,3.0,1e-7,1.2089258196146292e+24]');
    expect(rewardResponseJson([])).toBe('{"rewards":[],"scores":[],"extra_logs":{}}');
  });
});

describe('splitQuery', () => {
  it('cuts the prompt off the front of the query', () => {
    expect(splitQuery('Q: hi\nA: yes<eos>', 'Q: hi\nA:')).toEqual({
      prompt: 'Q: hi\nA:',
      completion: ' yes<eos>',
    });
  });

  it('cuts after the prompt when the decoded query starts differently, and keeps the whole query without it', () => {
    expect(splitQuery('<pad>Q: hi A: yes A: yes', 'Q: hi A:').completion).toBe(' yes A: yes');
    expect(splitQuery('something else', 'Q: hi').completion).toBe('something else');
    expect(splitQuery('all of it', '').completion).toBe('all of it');
  });
});
