/** The ? overlay: what each key does. */
import { Box, Text } from 'ink';

export const keyHelp: [string, string][] = [
  ['p', 'pause or resume the job (it finishes the current step first)'],
  ['s', 'save a checkpoint after the current step'],
  ['q', 'stop cleanly: checkpoint, then exit'],
  ['Ctrl-C', 'the same as q, exit code 130'],
  ['?', 'show or hide this help (Esc hides it)'],
];

export function HelpOverlay() {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>keys</Text>
      {keyHelp.map(([key, text]) => (
        <Text key={key}>
          <Text color="cyan">{key.padEnd(7)}</Text>
          {text}
        </Text>
      ))}
    </Box>
  );
}
