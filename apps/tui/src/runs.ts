/**
 * Reading run directories (the contract in @rlhfkit/io run-dir.ts) for `rlhf eval` and `rlhf compare`: finished runs,
 * runs still going, and killed runs (a torn last line in a JSON lines file is skipped).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { isRunDir, readRunFiles, readRunInfo } from '@rlhfkit/io';
import { chartGroups } from './chart.js';
import { UsageError } from './io.js';

export interface RunInfo {
  kind?: string;
  status?: string;
  startedAt?: string;
  updatedAt?: string;
  config?: unknown;
}

export interface RunData {
  dir: string;
  name: string;
  info?: RunInfo;
  metrics: Record<string, unknown>[];
  evals: Record<string, unknown>[];
  samples: Record<string, unknown>[];
  summary?: Record<string, unknown>;
  /** Stage runs of a composite job (demo), in the order they started. */
  stages: RunData[];
}

/** Stages in the order the job ran them (a demo's summary lists seconds_per_stage in that order). */
function stageOrder(summary: Record<string, unknown> | undefined): (run: RunData) => number {
  const seconds = summary?.['seconds_per_stage'];
  const names = seconds && typeof seconds === 'object' ? Object.keys(seconds) : [];
  return (run) => {
    const i = names.indexOf(run.name);
    return i < 0 ? names.length : i;
  };
}

/** Load a run directory and its stage subdirectories; a missing or empty directory is a UsageError. */
export function loadRun(path: string, cwd = process.cwd()): RunData {
  const dir = resolve(cwd, path);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(dir);
  } catch {
    throw new UsageError(`run directory not found: ${path}`);
  }
  if (!stat.isDirectory()) throw new UsageError(`${path} is a file; give the run directory that holds it`);
  const run = readRun(dir);
  const order = stageOrder(run.summary);
  const stages = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'checkpoints' && isRunDir(join(dir, d.name)))
    .map((d) => readRun(join(dir, d.name)))
    .sort(
      (a, b) =>
        order(a) - order(b) || (a.info?.startedAt ?? a.name).localeCompare(b.info?.startedAt ?? b.name),
    );
  if (!isRunDir(dir) && stages.length === 0) {
    throw new UsageError(
      `${path} is empty: no run.json, metrics.jsonl or summary.json. Give a directory written by rlhf <job> --out <dir>.`,
    );
  }
  return { ...run, stages };
}

function readRun(dir: string): RunData {
  const files = readRunFiles(dir);
  // A demo stage has no run.json of its own; its done.json marker says it finished.
  const done = existsSync(join(dir, 'done.json')) ? { kind: basename(dir), status: 'done' } : undefined;
  const info = files.info ?? done;
  return { dir, name: basename(dir), ...files, ...(info ? { info } : {}), stages: [] };
}

/** Values of `key` in step order from metrics.jsonl and eval.jsonl, non-finite values dropped. */
export function seriesOf(run: RunData, key: string): number[] {
  const rows = [...run.metrics, ...run.evals].filter(
    (r) => typeof r[key] === 'number' && Number.isFinite(r[key]),
  );
  return rows.sort((a, b) => Number(a['step'] ?? 0) - Number(b['step'] ?? 0)).map((r) => r[key] as number);
}

/** Numeric metric keys of a run, in first-seen order. */
export function metricKeys(run: RunData): string[] {
  const keys = new Set<string>();
  for (const row of [...run.metrics, ...run.evals]) {
    for (const [k, v] of Object.entries(row)) if (k !== 'step' && typeof v === 'number') keys.add(k);
  }
  return [...keys];
}

/** The run and its stages, flattened: the runs that hold metrics. */
export const withStages = (run: RunData): RunData[] => [run, ...run.stages];

/** The first series of `key` in the run or its stages (a demo's PPO reward lives in its ppo stage). */
export function findSeries(run: RunData, key: string): number[] {
  for (const r of withStages(run)) {
    const s = seriesOf(r, key);
    if (s.length > 0) return s;
  }
  return [];
}

export function lastStep(run: RunData): number | undefined {
  const steps = run.metrics.map((r) => r['step']).filter((s): s is number => typeof s === 'number');
  return steps.length > 0 ? Math.max(...steps) : undefined;
}

/** Status from run.json, flagged when a "running" run has not written anything for a while. */
export function statusOf(run: RunData, now = Date.now()): string {
  const status = run.info?.status ?? (run.summary ? 'done' : 'unknown');
  if (status !== 'running' && status !== 'paused') return status;
  const times = [run.info?.updatedAt, ...run.metrics.slice(-1).map((r) => r['time'])]
    .map((t) => (typeof t === 'string' ? Date.parse(t) : Number.NaN))
    .filter(Number.isFinite);
  const last = Math.max(...times);
  const idle = (now - last) / 1000;
  return Number.isFinite(idle) && idle > 600
    ? `${status}? (no update for ${Math.round(idle / 60)} min: killed?)`
    : status;
}

export type Better = 'max' | 'min' | undefined;

export function betterOf(key: string): Better {
  if (/score|reward|accuracy|tokens_per_s|margin/.test(key)) return 'max';
  if (/loss/.test(key)) return 'min';
  return undefined;
}

/** Keys worth a row in a summary table: the charted keys present, then throughput, else the first few. */
export function keyMetrics(run: RunData): string[] {
  const present = new Set(metricKeys(run));
  const wanted = [...chartGroups.flatMap((g) => g.keys), 'perf/tokens_per_s'].filter((k) => present.has(k));
  return wanted.length > 0 ? wanted : [...present].filter((k) => !k.startsWith('timing/')).slice(0, 6);
}

export interface MetricSummary {
  key: string;
  first: number;
  last: number;
  best?: number;
  points: number;
}

export function summarizeMetric(run: RunData, key: string): MetricSummary | undefined {
  const s = seriesOf(run, key);
  if (s.length === 0) return undefined;
  const better = betterOf(key);
  const m: MetricSummary = { key, first: s[0]!, last: s[s.length - 1]!, points: s.length };
  if (better) m.best = better === 'max' ? Math.max(...s) : Math.min(...s);
  return m;
}

export interface RunEntry {
  dir: string;
  label: string;
}

/** Run directories under <cwd>/runs and <cwd>, newest first, for the home screen's pickers. */
export function discoverRuns(cwd: string): RunEntry[] {
  const found: { dir: string; mtime: number }[] = [];
  for (const root of [join(cwd, 'runs'), cwd]) {
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of entries) {
      const dir = join(root, name);
      try {
        if (!statSync(dir).isDirectory() || !isRunDir(dir)) continue;
        found.push({ dir, mtime: statSync(dir).mtimeMs });
      } catch {}
    }
  }
  return found
    .sort((a, b) => b.mtime - a.mtime)
    .map(({ dir }) => {
      const info = readRunInfo(dir);
      const what = [info?.kind, info?.status].filter((x) => typeof x === 'string').join(', ');
      return { dir, label: `${relative(cwd, dir) || '.'}${what ? `  (${what})` : ''}` };
    });
}
