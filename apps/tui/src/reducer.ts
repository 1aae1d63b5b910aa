/**
 * Folds JobEvents (and the user's key requests) into the state the live view renders. Pure: time comes in
 * with each action, so the same actions always give the same state.
 */

import type { JobEvent, RunStatus, Sample } from '@rlhfkit/io';
import { formatNumber, formatSeconds } from './format.js';

export interface StageState {
  name: string;
  index: number;
  /** Stages in the job. */
  of: number;
  step: number;
  /** Planned steps, 0 until the first progress event. */
  total: number;
  startedAt: number;
  /** When the stage began counting steps (first progress event), for the ETA. */
  firstStepAt?: number;
  firstStep?: number;
  /** When the latest progress event arrived. */
  lastStepAt?: number;
  endedAt?: number;
}

export interface FinishedLine {
  id: number;
  tone: 'ok' | 'info' | 'warn' | 'error';
  text: string;
}

export type Request = 'pause' | 'resume' | 'save' | 'stop';

export interface JobState {
  status: RunStatus | 'starting';
  startedAt: number;
  /** Time of the latest action; the view's clock never shows less. */
  updatedAt: number;
  /** When the job ended (done or error). */
  endedAt?: number;
  stages: StageState[];
  /** Name of the stage now running. */
  current?: string;
  /** Metric series per stage, per key, in step order (bounded: see maxPoints). */
  series: Record<string, Record<string, number[]>>;
  /** Latest value of every metric key, across stages. */
  latest: Record<string, number>;
  samples?: { stage: string; step: number; samples: Sample[] };
  /** Lines that will not change: finished stages, logs, checkpoints. Rendered in <Static>. */
  finished: FinishedLine[];
  /** What the user asked for that the job has not confirmed yet. */
  pending?: Request | undefined;
  stopRequested: boolean;
  checkpoints: number;
  summary?: Record<string, unknown>;
  error?: string;
}

export type Action =
  | { type: 'event'; event: JobEvent; at: number }
  | { type: 'request'; request: Request; at: number };

/** Series longer than this are halved by averaging neighbours, so memory stays bounded on long runs. */
export const maxPoints = 1024;

export function initialState(at: number): JobState {
  return {
    status: 'starting',
    startedAt: at,
    updatedAt: at,
    stages: [],
    series: {},
    latest: {},
    finished: [],
    stopRequested: false,
    checkpoints: 0,
  };
}

export function reducer(previous: JobState, action: Action): JobState {
  // Events sent before the view subscribed are replayed with their own (earlier) times.
  const startedAt = Math.min(previous.startedAt, action.at);
  const state = { ...previous, startedAt, updatedAt: Math.max(previous.updatedAt, action.at) };
  if (action.type === 'request') {
    const s = { ...state, pending: action.request };
    return action.request === 'stop' ? { ...s, stopRequested: true } : s;
  }
  const { event: e, at } = action;
  switch (e.type) {
    case 'stage': {
      const ended = endStage(state, at);
      const stage: StageState = {
        name: e.stage,
        index: e.index,
        of: e.total,
        step: 0,
        total: 0,
        startedAt: at,
      };
      const stages = [...ended.stages.filter((s) => s.name !== e.stage), stage];
      return { ...ended, status: 'running', stages, current: e.stage };
    }
    case 'progress': {
      const withStage = ensureStage(state, e.stage, at);
      const stages = withStage.stages.map((s) => {
        if (s.name !== e.stage) return s;
        const first = s.firstStepAt === undefined ? { firstStepAt: at, firstStep: e.step } : {};
        return { ...s, ...first, step: e.step, total: e.total, lastStepAt: at };
      });
      return { ...withStage, status: state.status === 'starting' ? 'running' : state.status, stages };
    }
    case 'metrics': {
      const stageSeries = { ...(state.series[e.stage] ?? {}) };
      for (const [key, value] of Object.entries(e.metrics)) {
        if (!Number.isFinite(value)) continue;
        stageSeries[key] = appendPoint(stageSeries[key] ?? [], value);
      }
      return {
        ...ensureStage(state, e.stage, at),
        series: { ...state.series, [e.stage]: stageSeries },
        latest: { ...state.latest, ...e.metrics },
      };
    }
    case 'samples':
      return { ...state, samples: { stage: e.stage, step: e.step, samples: e.samples } };
    case 'checkpoint': {
      const s = addLine(state, 'info', `checkpoint saved at ${e.stage} step ${e.step}: ${e.path}`);
      return {
        ...s,
        checkpoints: state.checkpoints + 1,
        ...(state.pending === 'save' ? { pending: undefined } : {}),
      };
    }
    case 'log':
      return addLine(state, e.level === 'warn' ? 'warn' : 'info', e.message);
    case 'status': {
      const confirmed =
        (state.pending === 'pause' && e.status === 'paused') ||
        (state.pending === 'resume' && e.status === 'running');
      return { ...state, status: e.status, ...(confirmed ? { pending: undefined } : {}) };
    }
    case 'done': {
      const ended = endStage(state, at);
      const status = state.stopRequested ? 'stopped' : 'done';
      const s = addLine(ended, 'ok', `${status} after ${formatSeconds((at - state.startedAt) / 1000)}`);
      return { ...s, status, summary: e.summary, pending: undefined, endedAt: at };
    }
    case 'error':
      return {
        ...addLine(state, 'error', e.message),
        status: 'failed',
        error: e.message,
        pending: undefined,
        endedAt: at,
      };
  }
}

function appendPoint(series: number[], value: number): number[] {
  const next = [...series, value];
  if (next.length <= maxPoints) return next;
  const halved: number[] = [];
  for (let i = 0; i + 1 < next.length; i += 2) halved.push((next[i]! + next[i + 1]!) / 2);
  if (next.length % 2 === 1) halved.push(next[next.length - 1]!);
  return halved;
}

function ensureStage(state: JobState, name: string, at: number): JobState {
  if (state.stages.some((s) => s.name === name)) return state;
  const index = state.stages.length;
  const stage: StageState = { name, index, of: index + 1, step: 0, total: 0, startedAt: at };
  return { ...state, stages: [...state.stages, stage], current: state.current ?? name };
}

/** Close the current stage and record it as a finished line. */
function endStage(state: JobState, at: number): JobState {
  const cur = state.stages.find((s) => s.name === state.current && s.endedAt === undefined);
  if (!cur) return state;
  const stages = state.stages.map((s) => (s === cur ? { ...s, endedAt: at } : s));
  const steps = cur.total > 0 ? `  ${cur.step}/${cur.total} steps` : '';
  const last = lastValues(state.series[cur.name] ?? {});
  const text = `✔ ${cur.name}${steps} in ${formatSeconds((at - cur.startedAt) / 1000)}${last ? `  ${last}` : ''}`;
  return addLine({ ...state, stages }, 'ok', text);
}

function lastValues(series: Record<string, number[]>): string {
  return Object.entries(series)
    .filter(([k]) => !/^(timing|perf)\/|^(lr|episode)$/.test(k))
    .slice(0, 3)
    .map(([k, v]) => `${k} ${formatNumber(v[v.length - 1] ?? Number.NaN)}`)
    .join('  ');
}

function addLine(state: JobState, tone: FinishedLine['tone'], text: string): JobState {
  return { ...state, finished: [...state.finished, { id: state.finished.length, tone, text }] };
}

/**
 * Seconds left in a stage: the steps still to go times the mean time per step so far, less the time since the
 * latest step. Undefined until two progress points, and for a finished stage.
 */
export function etaSeconds(stage: StageState | undefined, now: number): number | undefined {
  if (!stage || stage.firstStepAt === undefined || stage.lastStepAt === undefined) return undefined;
  if (stage.total <= 0 || stage.endedAt !== undefined) return undefined;
  const done = stage.step - (stage.firstStep ?? 0);
  if (done <= 0) return undefined;
  const perStep = (stage.lastStepAt - stage.firstStepAt) / 1000 / done;
  return Math.max(0, (stage.total - stage.step) * perStep - Math.max(0, now - stage.lastStepAt) / 1000);
}

export function currentStage(state: JobState): StageState | undefined {
  return state.stages.find((s) => s.name === state.current);
}
