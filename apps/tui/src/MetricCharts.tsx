/** Line charts of the current stage's metrics: reward, KL, losses, RM accuracy, whichever are present. */
import { Box, Text } from 'ink';
import { presentCharts, renderChart, seriesColors } from './chart.js';
import { formatNumber } from './format.js';

export interface MetricChartsProps {
  series: Record<string, number[]>;
  width: number;
  height?: number;
  color?: boolean;
}

/** "objective/scores" -> "scores": the chart title already names the family. */
const shortKey = (key: string) => key.replace(/^[a-z]+\//, '');

export function MetricCharts({ series, width, height = 6, color = true }: MetricChartsProps) {
  const charts = presentCharts(series);
  if (charts.length === 0) return <Text dimColor>no charted metrics yet</Text>;
  // Two charts side by side when the terminal is wide enough.
  const chartWidth = width >= 100 && charts.length > 1 ? Math.floor((width - 2) / 2) : width;
  return (
    <Box flexWrap="wrap">
      {charts.map((c) => (
        <Box key={c.title} flexDirection="column" width={chartWidth}>
          <Text wrap="truncate-end">
            <Text bold>{c.title}</Text>
            {c.keys.map((k, i) => (
              <Text key={k}>
                {'  '}
                {color ? `${seriesColors[i]}━\u001b[39m ` : ''}
                {shortKey(k)} {formatNumber(series[k]?.at(-1) ?? Number.NaN)}
              </Text>
            ))}
          </Text>
          <Text>
            {renderChart(
              c.keys.map((k) => series[k] ?? []),
              { width: chartWidth - 1, height, color },
            )}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
