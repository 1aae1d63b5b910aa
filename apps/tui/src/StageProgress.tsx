/** The current stage: name, n of m, progress bar, steps, ETA and throughput. */
import { ProgressBar } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { formatNumber, formatSeconds } from './format.js';
import type { StageState } from './reducer.js';

export interface StageProgressProps {
  stage: StageState | undefined;
  eta: number | undefined;
  tokensPerSecond: number | undefined;
  width: number;
}

export function StageProgress({ stage, eta, tokensPerSecond, width }: StageProgressProps) {
  if (!stage) return <Text dimColor>waiting for the job to start…</Text>;
  const percent = stage.total > 0 ? (100 * stage.step) / stage.total : 0;
  const steps = stage.total > 0 ? `${stage.step}/${stage.total}` : `step ${stage.step}`;
  return (
    <Box gap={1}>
      <Text bold>
        stage {stage.index + 1}/{stage.of} {stage.name}
      </Text>
      <Box width={Math.max(10, Math.min(40, width - 60))}>
        <ProgressBar value={percent} />
      </Box>
      <Text>
        {steps} {Math.floor(percent)}%
      </Text>
      <Text dimColor>
        {stage.endedAt !== undefined
          ? `took ${formatSeconds((stage.endedAt - stage.startedAt) / 1000)}`
          : `eta ${eta === undefined ? '…' : formatSeconds(eta)}`}
      </Text>
      {tokensPerSecond !== undefined && <Text dimColor>{formatNumber(tokensPerSecond)} tok/s</Text>}
    </Box>
  );
}
