/** The latest samples with their scores, one line each, cut to the terminal width. */

import type { Sample } from '@rlhfkit/io';
import { Box, Text } from 'ink';
import { formatNumber } from './format.js';

export interface SamplesPanelProps {
  samples: { stage: string; step: number; samples: Sample[] } | undefined;
  width: number;
  max?: number;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export function SamplesPanel({ samples, width, max = 3 }: SamplesPanelProps) {
  if (!samples || samples.samples.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>
        samples{' '}
        <Text dimColor>
          ({samples.stage} step {samples.step})
        </Text>
      </Text>
      {samples.samples.slice(0, max).map((s, i) => {
        const score = formatNumber(s.score).padStart(7);
        const text = `${oneLine(s.prompt)} ▸ ${oneLine(s.completion)}`;
        const room = Math.max(10, width - score.length - 3);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: samples are replaced as a whole, never reordered
          <Text key={i} wrap="truncate-end">
            <Text color={s.score >= 0 ? 'green' : 'red'}>{score}</Text>{' '}
            {text.length > room ? `${text.slice(0, room - 1)}…` : text}
          </Text>
        );
      })}
    </Box>
  );
}
