/** `rlhf eval` / `rlhf compare` in a terminal: the report blocks with colour. */
import { Box, Text } from 'ink';
import { renderChart, seriesColors } from './chart.js';
import { type Block, tableLines } from './report-blocks.js';

export function Report({ blocks, width }: { blocks: Block[]; width: number }) {
  return (
    <Box flexDirection="column" width={width}>
      {blocks.map((b, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a report is rendered once and never reordered
        <ReportBlock key={i} block={b} width={width} />
      ))}
    </Box>
  );
}

function ReportBlock({ block: b, width }: { block: Block; width: number }) {
  if (b.kind === 'title') {
    return (
      <Box marginTop={1}>
        <Text bold color="cyan">
          {b.text}
        </Text>
      </Box>
    );
  }
  if (b.kind === 'text') return <Text dimColor>{b.text}</Text>;
  if (b.kind === 'chart') {
    const chart = renderChart(b.series, { width, height: 8, color: true });
    return (
      <Box flexDirection="column" marginTop={1}>
        <Text>
          <Text bold>{b.title}</Text>
          {b.legend.map((l, i) => (
            <Text key={l}>
              {'  '}
              {`${seriesColors[i % seriesColors.length]}━\u001b[39m`} {l}
            </Text>
          ))}
        </Text>
        <Text>{chart || '  (no data)'}</Text>
      </Box>
    );
  }
  const [head, ...rows] = tableLines(b.header, b.rows, width);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>{head}</Text>
      {rows.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: table rows are static
        <Text key={i}>{r}</Text>
      ))}
    </Box>
  );
}
