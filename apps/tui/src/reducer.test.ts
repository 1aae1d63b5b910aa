import type { JobEvent } from '@rlhfkit/io';
import { describe, expect, it } from 'vitest';
import {
  type Action,
  currentStage,
  etaSeconds,
  initialState,
  type JobState,
  maxPoints,
  reducer,
} from './reducer.js';

const ev = (event: JobEvent, at = 0): Action => ({ type: 'event', event, at });
const fold = (actions: Action[], start = initialState(0)): JobState => actions.reduce(reducer, start);

describe('reducer', () => {
  it('makes a new stage the current one and marks the job running', () => {
    const s = fold([ev({ type: 'stage', stage: 'pretrain', index: 0, total: 3 }, 10)]);
    expect(s.status).toBe('running');
    expect(s.current).toBe('pretrain');
    expect(currentStage(s)).toMatchObject({ name: 'pretrain', index: 0, of: 3, startedAt: 10 });
  });

  it('builds per-stage metric series and keeps the latest value of every key', () => {
    const s = fold([
      ev({ type: 'stage', stage: 'ppo', index: 0, total: 1 }),
      ev({ type: 'metrics', stage: 'ppo', step: 1, metrics: { 'objective/scores': 0.1, 'objective/kl': 0 } }),
      ev({ type: 'metrics', stage: 'ppo', step: 2, metrics: { 'objective/scores': 0.4 } }),
    ]);
    expect(s.series['ppo']?.['objective/scores']).toEqual([0.1, 0.4]);
    expect(s.series['ppo']?.['objective/kl']).toEqual([0]);
    expect(s.latest['objective/scores']).toBe(0.4);
  });

  it('leaves non-finite metric values out of the series', () => {
    const s = fold([ev({ type: 'metrics', stage: 'ppo', step: 1, metrics: { loss: Number.NaN, kl: 1 } })]);
    expect(s.series['ppo']?.['loss']).toBeUndefined();
    expect(s.series['ppo']?.['kl']).toEqual([1]);
  });

  it('closes the previous stage as a finished line with its steps and last metrics when a new one starts', () => {
    const s = fold([
      ev({ type: 'stage', stage: 'pretrain', index: 0, total: 2 }, 0),
      ev({ type: 'progress', stage: 'pretrain', step: 40, total: 40 }, 1000),
      ev({ type: 'metrics', stage: 'pretrain', step: 40, metrics: { loss: 2.5, lr: 3e-4 } }, 1000),
      ev({ type: 'stage', stage: 'train-rm', index: 1, total: 2 }, 2000),
    ]);
    expect(s.current).toBe('train-rm');
    expect(s.finished.map((l) => l.text)).toEqual(['✔ pretrain  40/40 steps in 2.0s  loss 2.5']);
    expect(s.stages[0]?.endedAt).toBe(2000);
  });

  it('estimates the time left from the mean step time, less the time since the last step', () => {
    const s = fold([
      ev({ type: 'stage', stage: 'ppo', index: 0, total: 1 }, 0),
      ev({ type: 'progress', stage: 'ppo', step: 1, total: 11 }, 1000),
      ev({ type: 'progress', stage: 'ppo', step: 3, total: 11 }, 3000),
    ]);
    // 1 s per step, 8 steps to go, 0.5 s since the last step
    expect(etaSeconds(currentStage(s), 3500)).toBeCloseTo(7.5);
    expect(
      etaSeconds(currentStage(fold([ev({ type: 'stage', stage: 'x', index: 0, total: 1 })])), 0),
    ).toBeUndefined();
  });

  it('keeps a pause request pending until the job reports that it is paused', () => {
    const requested = fold([
      ev({ type: 'stage', stage: 'ppo', index: 0, total: 1 }),
      { type: 'request', request: 'pause', at: 1 },
    ]);
    expect(requested.pending).toBe('pause');
    expect(requested.status).toBe('running');
    const paused = reducer(requested, ev({ type: 'status', status: 'paused' }, 2));
    expect(paused.pending).toBeUndefined();
    expect(paused.status).toBe('paused');
  });

  it('ends as stopped when the job finishes after a stop request, and as done otherwise', () => {
    const stop: Action = { type: 'request', request: 'stop', at: 1 };
    const done = ev({ type: 'done', summary: { reward: 1 } }, 5000);
    expect(fold([stop, done]).status).toBe('stopped');
    const finished = fold([done]);
    expect(finished.status).toBe('done');
    expect(finished.summary).toEqual({ reward: 1 });
    expect(finished.endedAt).toBe(5000);
    expect(finished.finished.at(-1)?.text).toBe('done after 5.0s');
  });

  it('marks the job failed with the message of an error event', () => {
    const s = fold([ev({ type: 'error', message: 'out of memory in ppo' })]);
    expect(s.status).toBe('failed');
    expect(s.error).toBe('out of memory in ppo');
    expect(s.finished.at(-1)).toMatchObject({ tone: 'error', text: 'out of memory in ppo' });
  });

  it('records checkpoints and logs as finished lines', () => {
    const s = fold([
      { type: 'request', request: 'save', at: 0 },
      ev({ type: 'checkpoint', stage: 'ppo', step: 7, path: '/runs/x/checkpoints/step-7' }),
      ev({ type: 'log', level: 'warn', message: 'KL is above target' }),
    ]);
    expect(s.checkpoints).toBe(1);
    expect(s.pending).toBeUndefined();
    expect(s.finished.map((l) => l.tone)).toEqual(['info', 'warn']);
    expect(s.finished[0]?.text).toContain('step 7');
  });

  it('halves long series by averaging neighbours so memory stays bounded', () => {
    const actions = Array.from({ length: maxPoints + 1 }, (_, i) =>
      ev({ type: 'metrics', stage: 'ppo', step: i, metrics: { x: i } }),
    );
    const series = fold(actions).series['ppo']?.['x'] ?? [];
    expect(series.length).toBeLessThanOrEqual(maxPoints / 2 + 1);
    expect(series[0]).toBe(0.5);
  });

  it('counts elapsed time from the earliest event, also one replayed from before the view started', () => {
    const s = fold([ev({ type: 'stage', stage: 'ppo', index: 0, total: 1 }, 40)], initialState(100));
    expect(s.startedAt).toBe(40);
  });

  it('never moves its clock backwards', () => {
    const s = fold([
      ev({ type: 'log', level: 'info', message: 'a' }, 50),
      ev({ type: 'log', level: 'info', message: 'b' }, 20),
    ]);
    expect(s.updatedAt).toBe(50);
  });
});
