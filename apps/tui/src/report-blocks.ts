/**
 * What `rlhf eval` and `rlhf compare` show, as blocks (titles, charts, tables) that render either as plain
 * text or in Ink (Report.tsx); and the same summary as JSON for --json.
 */
import { presentCharts, renderChart } from './chart.js';
import { formatNumber } from './format.js';
import {
  findSeries,
  keyMetrics,
  lastStep,
  type RunData,
  seriesOf,
  statusOf,
  summarizeMetric,
  withStages,
} from './runs.js';

export type Block =
  | { kind: 'title'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'chart'; title: string; legend: string[]; series: number[][] }
  | { kind: 'table'; header: string[]; rows: string[][] };

const num = (v: unknown): string => (typeof v === 'number' ? formatNumber(v) : '-');
const signed = (v: number): string => (v > 0 ? `+${formatNumber(v)}` : formatNumber(v));

function describe(run: RunData, now: number): string {
  const step = lastStep(run);
  const steps = step === undefined ? '' : `, ${step} steps`;
  return `${run.name}  (${run.info?.kind ?? 'run'}, ${statusOf(run, now)}${steps})`;
}

/** The demo's summary.json: before/after scores, KL, RM accuracy, seconds per stage. */
function demoBlocks(summary: Record<string, unknown>): Block[] {
  const blocks: Block[] = [];
  const rows: string[][] = [];
  for (const [label, key] of [
    ['gold score', 'gold_score'],
    ['RM score', 'rm_score'],
  ] as const) {
    const before = summary[`${key}_before`];
    const after = summary[`${key}_after`];
    if (typeof before !== 'number' && typeof after !== 'number') continue;
    const delta = typeof before === 'number' && typeof after === 'number' ? signed(after - before) : '-';
    rows.push([label, num(before), num(after), delta]);
  }
  if (rows.length > 0) blocks.push({ kind: 'table', header: ['', 'before', 'after', 'change'], rows });
  const more = [
    ['KL to reference', summary['kl_to_reference']],
    ['RM eval accuracy', summary['rm_eval_accuracy']],
  ].filter(([, v]) => typeof v === 'number');
  if (more.length > 0)
    blocks.push({ kind: 'table', header: ['', 'value'], rows: more.map(([k, v]) => [String(k), num(v)]) });
  const seconds = summary['seconds_per_stage'];
  if (seconds && typeof seconds === 'object') {
    const rows = Object.entries(seconds as Record<string, unknown>).map(([k, v]) => [k, num(v)]);
    blocks.push({ kind: 'table', header: ['stage', 'seconds'], rows });
  }
  return blocks;
}

function metricTable(run: RunData): Block | undefined {
  const rows = keyMetrics(run)
    .map((k) => summarizeMetric(run, k))
    .filter((m) => m !== undefined)
    .map((m) => [
      m.key,
      formatNumber(m.first),
      formatNumber(m.last),
      m.best === undefined ? '-' : formatNumber(m.best),
      String(m.points),
    ]);
  return rows.length > 0
    ? { kind: 'table', header: ['metric', 'first', 'last', 'best', 'points'], rows }
    : undefined;
}

function chartBlocks(run: RunData): Block[] {
  const series = Object.fromEntries(keyMetrics(run).map((k) => [k, seriesOf(run, k)]));
  return presentCharts(series).map((c) => ({
    kind: 'chart',
    title: c.title,
    legend: c.keys,
    series: c.keys.map((k) => series[k] ?? []),
  }));
}

export function evalReport(run: RunData, now = Date.now()): Block[] {
  const blocks: Block[] = [{ kind: 'title', text: describe(run, now) }];
  if (run.summary && 'gold_score_before' in run.summary) blocks.push(...demoBlocks(run.summary));
  for (const r of withStages(run)) {
    if (r !== run) blocks.push({ kind: 'title', text: `stage ${describe(r, now)}` });
    blocks.push(...chartBlocks(r));
    const table = metricTable(r);
    if (table) blocks.push(table);
    const samples = r.samples.slice(-3);
    if (samples.length > 0) {
      const rows = samples.map((s) => [
        num(s['score']),
        `${String(s['prompt'] ?? '')} ▸ ${String(s['completion'] ?? '')}`,
      ]);
      blocks.push({
        kind: 'table',
        header: ['score', `latest samples (step ${num(samples.at(-1)?.['step'])})`],
        rows,
      });
    }
    if (r !== run && r.metrics.length === 0 && r.evals.length === 0)
      blocks.push({ kind: 'text', text: 'no metrics yet' });
  }
  if (run.metrics.length === 0 && run.stages.length === 0)
    blocks.push({ kind: 'text', text: 'no metrics yet' });
  return blocks;
}

export function compareReport(runs: RunData[], now = Date.now()): Block[] {
  const blocks: Block[] = [{ kind: 'title', text: `compare ${runs.length} runs` }];
  const keys = [...new Set(runs.flatMap((r) => withStages(r).flatMap(keyMetrics)))];
  for (const chart of presentCharts(Object.fromEntries(keys.map((k) => [k, [0]])))) {
    const key = chart.keys[0]!;
    blocks.push({
      kind: 'chart',
      title: `${chart.title}: ${key}`,
      legend: runs.map((r) => r.name),
      series: runs.map((r) => findSeries(r, key)),
    });
  }
  const shown = keys.slice(0, 4);
  const rows = runs.map((r) => {
    const cells = shown.map((k) => {
      const s = findSeries(r, k);
      return s.length > 0 ? formatNumber(s[s.length - 1]!) : '-';
    });
    const steps = withStages(r)
      .map(lastStep)
      .filter((s) => s !== undefined);
    return [
      r.name,
      r.info?.kind ?? '-',
      statusOf(r, now),
      steps.length > 0 ? String(steps.reduce((a, b) => a + b)) : '-',
      ...cells,
    ];
  });
  blocks.push({
    kind: 'table',
    header: ['run', 'kind', 'status', 'steps', ...shown.map((k) => `${k} (last)`)],
    rows,
  });
  const demos = runs.filter((r) => r.summary && 'gold_score_before' in r.summary);
  if (demos.length > 0) {
    const demoRows = demos.map((r) => {
      const s = r.summary!;
      const gain = typeof s['gold_score_after'] === 'number' && typeof s['gold_score_before'] === 'number';
      return [
        r.name,
        num(s['gold_score_before']),
        num(s['gold_score_after']),
        gain ? signed((s['gold_score_after'] as number) - (s['gold_score_before'] as number)) : '-',
        num(s['kl_to_reference']),
        num(s['rm_eval_accuracy']),
      ];
    });
    blocks.push({
      kind: 'table',
      header: ['demo run', 'gold before', 'gold after', 'change', 'KL', 'RM acc'],
      rows: demoRows,
    });
  }
  return blocks;
}

/** The --json form: status, steps and first/last/best per key metric, per run and stage. */
export function runJson(run: RunData, now = Date.now()): Record<string, unknown> {
  const one = (r: RunData) => ({
    dir: r.dir,
    kind: r.info?.kind ?? null,
    status: statusOf(r, now),
    steps: lastStep(r) ?? null,
    metrics: Object.fromEntries(keyMetrics(r).map((k) => [k, summarizeMetric(r, k)])),
  });
  return { ...one(run), summary: run.summary ?? null, stages: run.stages.map(one) };
}

export function renderPlain(blocks: Block[], width: number): string {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.kind === 'title') out.push('', b.text, '='.repeat(Math.min(width, b.text.length)));
    else if (b.kind === 'text') out.push(b.text);
    else if (b.kind === 'chart') {
      const chart = renderChart(b.series, { width, height: 8 });
      out.push(
        '',
        `${b.title}  (${b.legend.map((l, i) => `${i + 1}: ${l}`).join(', ')})`,
        chart || '  (no data)',
      );
    } else out.push('', ...tableLines(b.header, b.rows, width));
  }
  return `${out.join('\n').replace(/^\n/, '')}\n`;
}

export function tableLines(header: string[], rows: string[][], width: number): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => {
    const line = r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  });
}
