/** Line charts of metric series with asciichart: which keys go together, resampling, and label format. */
import asciichart from 'asciichart';
import { formatNumber } from './format.js';

export interface ChartGroup {
  title: string;
  /** Metric keys drawn in this chart, named as in rlhf-conventions.md; the first present keys are used. */
  keys: string[];
}

/** The charts a job view or report shows, whichever of their keys are present. */
export const chartGroups: ChartGroup[] = [
  { title: 'reward', keys: ['objective/scores', 'objective/rlhf_reward'] },
  { title: 'KL', keys: ['objective/kl'] },
  { title: 'policy / value loss', keys: ['loss/policy_avg', 'loss/value_avg'] },
  { title: 'RM accuracy', keys: ['accuracy/eval_accuracy', 'eval_accuracy', 'accuracy'] },
  { title: 'loss', keys: ['loss', 'eval_loss'] },
];

/** Series colours in order (ANSI escapes), used when colour is on. */
export const seriesColors = [
  asciichart.cyan,
  asciichart.yellow,
  asciichart.magenta,
  asciichart.green,
  asciichart.blue,
];

/** Groups with at least one key present in `series`, each with its present keys (two at most). */
export function presentCharts(series: Record<string, number[]>): { title: string; keys: string[] }[] {
  return chartGroups
    .map((g) => ({ title: g.title, keys: g.keys.filter((k) => (series[k]?.length ?? 0) > 0).slice(0, 2) }))
    .filter((g) => g.keys.length > 0);
}

/** Shrink a series to at most `width` points by averaging equal buckets; shorter series are returned as is. */
export function resample(values: number[], width: number): number[] {
  if (values.length <= width || width < 1) return values;
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.max(from + 1, Math.floor(((i + 1) * values.length) / width));
    let sum = 0;
    for (let j = from; j < to; j++) sum += values[j]!;
    out.push(sum / (to - from));
  }
  return out;
}

const labelWidth = 9;

/**
 * Draw series as one chart `width` columns wide (labels included) and `height` rows tall.
 * Empty series are skipped; returns '' when nothing is left to draw.
 */
export function renderChart(
  series: number[][],
  opts: { width: number; height: number; color?: boolean },
): string {
  const points = Math.max(2, opts.width - labelWidth - 2);
  const kept: number[][] = [];
  const colors: (string | undefined)[] = [];
  series.forEach((s, i) => {
    const finite = s.filter(Number.isFinite);
    if (finite.length === 0) return;
    const r = resample(finite, points);
    kept.push(r.length === 1 ? [r[0]!, r[0]!] : r);
    colors.push(opts.color ? seriesColors[i % seriesColors.length] : undefined);
  });
  if (kept.length === 0) return '';
  const all = kept.flat();
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  // A flat series has no range to scale; give it one so the labels show the value.
  const pad =
    hi - lo > 1e-12 ? {} : { min: lo - 0.01 * (Math.abs(lo) || 1), max: hi + 0.01 * (Math.abs(hi) || 1) };
  return asciichart.plot(kept, {
    ...pad,
    height: Math.max(1, opts.height - 1),
    format: (x) => formatNumber(x).padStart(labelWidth),
    colors,
  });
}
