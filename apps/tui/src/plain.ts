/**
 * Output without a terminal (pipes, CI): plain progress lines, or with --json every event as one JSON line.
 * Progress and metrics print about ten times per stage, and at least every 10 s when a stage is slow.
 */

import type { JobEvent } from '@rlhfkit/io';
import { formatNumber, formatSeconds } from './format.js';
import type { OutStream } from './io.js';

/** Metric keys printed in the progress lines, in this order, when present; else the first few keys. */
const headline = [
  'objective/scores',
  'objective/rlhf_reward',
  'objective/kl',
  'loss/policy_avg',
  'loss/value_avg',
  'loss',
  'accuracy',
  'eval_accuracy',
  'accuracy/eval_accuracy',
  'perf/tokens_per_s',
];

export type Printer = (event: JobEvent) => void;

export function jsonPrinter(out: OutStream): Printer {
  return (event) => out.write(`${JSON.stringify(event)}\n`);
}

export function plainPrinter(out: OutStream, err: OutStream, now: () => number = Date.now): Printer {
  const started = now();
  let lastPrint = started;
  /** The first progress point of the stage, for the step rate. */
  let rateFrom: { step: number; at: number } | undefined;
  let total = 0;
  let stopped = false;
  const due = (step: number, t: number) => {
    const every = Math.max(1, Math.ceil(total / 10));
    return step % every === 0 || step === total || t - lastPrint >= 10_000;
  };
  return (e) => {
    const t = now();
    switch (e.type) {
      case 'stage':
        rateFrom = undefined;
        total = 0;
        out.write(`[${e.index + 1}/${e.total}] ${e.stage}\n`);
        return;
      case 'progress': {
        total = e.total;
        rateFrom ??= { step: e.step, at: t };
        if (!due(e.step, t)) return;
        lastPrint = t;
        const pct = e.total > 0 ? ` ${Math.floor((100 * e.step) / e.total)}%` : '';
        const done = e.step - rateFrom.step;
        const eta =
          done > 0 ? `  eta ${formatSeconds((((t - rateFrom.at) / done) * (e.total - e.step)) / 1000)}` : '';
        out.write(`${e.stage}  step ${e.step}/${e.total}${pct}${eta}\n`);
        return;
      }
      case 'metrics': {
        if (!due(e.step, t)) return;
        const keys = headline.filter((k) => k in e.metrics);
        const shown = keys.length > 0 ? keys : Object.keys(e.metrics).slice(0, 6);
        if (shown.length === 0) return;
        out.write(
          `${e.stage}  step ${e.step}  ${shown.map((k) => `${k}=${formatNumber(e.metrics[k]!)}`).join(' ')}\n`,
        );
        return;
      }
      case 'samples':
        return;
      case 'checkpoint':
        out.write(`checkpoint  ${e.stage} step ${e.step}  ${e.path}\n`);
        return;
      case 'log':
        (e.level === 'warn' ? err : out).write(`${e.level}: ${e.message}\n`);
        return;
      case 'status':
        stopped = e.status === 'stopped';
        out.write(`status: ${e.status}\n`);
        return;
      case 'done': {
        out.write(`${stopped ? 'stopped' : 'done'} after ${formatSeconds((t - started) / 1000)}\n`);
        for (const [k, v] of Object.entries(e.summary)) {
          if (typeof v === 'number' || typeof v === 'string')
            out.write(`  ${k}: ${typeof v === 'number' ? formatNumber(v) : v}\n`);
        }
        return;
      }
      case 'error':
        err.write(`error: ${e.message}\n`);
        return;
    }
  };
}
