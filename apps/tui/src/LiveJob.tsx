/**
 * The live job view: finished lines in <Static>, then the current stage, charts, samples and the key bar.
 * Keys: p pause/resume, s save now, q stop cleanly, ? help, Ctrl-C stop (interrupt).
 */

import type { JobControl } from '@rlhfkit/io';
import { Box, Static, Text, useInput, useStdin, useStdout } from 'ink';
import { useState } from 'react';
import type { EventSource } from './event-bus.js';
import { formatNumber, formatSeconds } from './format.js';
import { HelpOverlay } from './HelpOverlay.js';
import { MetricCharts } from './MetricCharts.js';
import { currentStage, etaSeconds, type FinishedLine, type JobState } from './reducer.js';
import { SamplesPanel } from './SamplesPanel.js';
import { StageProgress } from './StageProgress.js';
import { useJobState, useNow } from './use-job-state.js';

export interface LiveJobProps {
  title: string;
  source: EventSource;
  control: JobControl;
  /** Called once when the user stops the job: 'quit' for q, 'interrupt' for Ctrl-C. */
  onStop?: (reason: 'quit' | 'interrupt') => void;
  now?: () => number;
  color?: boolean;
}

const toneColor: Record<FinishedLine['tone'], string> = {
  ok: 'green',
  info: 'gray',
  warn: 'yellow',
  error: 'red',
};
const ended = (s: JobState) => s.status === 'done' || s.status === 'failed' || s.status === 'stopped';

export function LiveJob({ title, source, control, onStop, now = Date.now, color = true }: LiveJobProps) {
  const [state, request] = useJobState(source, now);
  const [help, setHelp] = useState(false);
  const tick = useNow(!ended(state), now);
  const t = state.endedAt ?? Math.max(tick, state.updatedAt);
  const { isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const width = Math.max(40, (stdout.columns || 100) - 1);

  const stop = (reason: 'quit' | 'interrupt') => {
    control.stop();
    request('stop');
    onStop?.(reason);
  };

  useInput(
    (input, key) => {
      if (key.escape) return setHelp(false);
      const live = !ended(state) && !state.stopRequested;
      if (key.ctrl && input === 'c') return live && stop('interrupt');
      if (key.ctrl || key.meta) return;
      // Keys typed quickly arrive as one chunk ("?p"): act on each character in turn.
      let paused = state.status === 'paused' ? state.pending !== 'resume' : state.pending === 'pause';
      let stopped = !live;
      for (const ch of input.toLowerCase()) {
        if (ch === '?') setHelp((h) => !h);
        if (stopped) continue;
        if (ch === 'p') {
          paused ? control.resume() : control.pause();
          request(paused ? 'resume' : 'pause');
          paused = !paused;
        } else if (ch === 's') {
          control.saveNow();
          request('save');
        } else if (ch === 'q') {
          stop('quit');
          stopped = true;
        }
      }
    },
    // Raw mode is undefined (not false) when stdin is not a TTY: useInput would throw (platform-notes.md).
    { isActive: isRawModeSupported === true },
  );

  const stage = currentStage(state);
  const series = (state.current && state.series[state.current]) || {};
  return (
    <>
      <Static items={state.finished}>
        {(line) => (
          <Text key={line.id} color={toneColor[line.tone]}>
            {line.text}
          </Text>
        )}
      </Static>
      <Box flexDirection="column" width={width}>
        <Box gap={2}>
          <Text bold color="cyan">
            rlhf {title}
          </Text>
          <StatusText state={state} />
          <Text dimColor>elapsed {formatSeconds((t - state.startedAt) / 1000)}</Text>
        </Box>
        <StageProgress
          stage={stage}
          eta={etaSeconds(stage, state.status === 'paused' ? (stage?.lastStepAt ?? t) : t)}
          tokensPerSecond={state.latest['perf/tokens_per_s']}
          width={width}
        />
        <MetricCharts series={series} width={width} color={color} />
        <SamplesPanel samples={state.samples} width={width} />
        {state.summary && <Summary summary={state.summary} />}
        {help && <HelpOverlay />}
        <KeyBar state={state} raw={isRawModeSupported === true} />
      </Box>
    </>
  );
}

function StatusText({ state }: { state: JobState }) {
  if (state.stopRequested && !ended(state))
    return <Text color="yellow">stopping: writing a checkpoint…</Text>;
  const pending = state.pending && state.pending !== 'stop' ? ` (${state.pending} requested)` : '';
  const colors: Record<string, string> = {
    done: 'green',
    failed: 'red',
    paused: 'yellow',
    stopped: 'yellow',
  };
  return (
    <Text color={colors[state.status] ?? 'white'}>
      {state.status}
      {pending}
    </Text>
  );
}

function Summary({ summary }: { summary: Record<string, unknown> }) {
  const entries = Object.entries(summary).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
  if (entries.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>summary</Text>
      {entries.map(([k, v]) => (
        <Text key={k}>
          {`  ${k}`.padEnd(24)}
          {typeof v === 'number' ? formatNumber(v) : String(v)}
        </Text>
      ))}
    </Box>
  );
}

function KeyBar({ state, raw }: { state: JobState; raw: boolean }) {
  if (ended(state)) return null;
  if (!raw) return <Text dimColor>keys are off: stdin is not a terminal</Text>;
  return <Text dimColor>p {state.status === 'paused' ? 'resume' : 'pause'} · s save · q stop · ? help</Text>;
}
