/**
 * `rlhf` with no arguments: start a job from a form, open a past run, or compare runs. The screen decides
 * what to do and hands it back through onDone; the CLI then runs it like the matching subcommand.
 */
import { MultiSelect, Select, TextInput } from '@inkjs/ui';
import type { JobKind } from '@rlhfkit/io';
import { Box, Text, useInput, useStdin } from 'ink';
import { useState } from 'react';
import { JobForm } from './JobForm.js';
import { jobKinds, jobSpecs } from './jobs/specs.js';
import type { RunEntry } from './runs.js';

export type HomeAction =
  | { type: 'job'; kind: JobKind; options: Record<string, unknown> }
  | { type: 'eval'; dir: string }
  | { type: 'compare'; dirs: string[] }
  | { type: 'quit' };

export interface HomeProps {
  runs: RunEntry[];
  onDone: (action: HomeAction) => void;
}

type Screen =
  | { name: 'menu' }
  | { name: 'kind' }
  | { name: 'form'; kind: JobKind }
  | { name: 'open' }
  | { name: 'compare' };

export function Home({ runs, onDone }: HomeProps) {
  const [screen, setScreen] = useState<Screen>({ name: 'menu' });
  const [typing, setTyping] = useState(false);
  const { isRawModeSupported } = useStdin();
  const raw = isRawModeSupported === true;
  const back = () => {
    setTyping(false);
    setScreen({ name: 'menu' });
  };

  useInput(
    (input, key) => {
      if (screen.name === 'form') return; // the form owns its keys
      if (key.escape) return typing ? setTyping(false) : back();
      if (screen.name === 'menu' && input === 'q') onDone({ type: 'quit' });
    },
    { isActive: raw },
  );

  const header = (
    <Text>
      <Text bold color="cyan">
        rlhf
      </Text>
      <Text dimColor> · RLHF for small language models, in the terminal</Text>
    </Text>
  );
  if (screen.name === 'form') {
    return (
      <JobForm
        kind={screen.kind}
        schema={jobSpecs[screen.kind].schema}
        {...(jobSpecs[screen.kind].check ? { check: jobSpecs[screen.kind].check } : {})}
        onCancel={back}
        onSubmit={(options) => onDone({ type: 'job', kind: screen.kind, options })}
      />
    );
  }
  let body: React.ReactNode;
  if (screen.name === 'menu') {
    body = (
      <Select
        isDisabled={!raw}
        options={[
          { label: 'Start a job', value: 'kind' },
          { label: `Open a past run${runs.length ? ` (${runs.length} found)` : ''}`, value: 'open' },
          { label: 'Compare runs', value: 'compare' },
          { label: 'Quit', value: 'quit' },
        ]}
        onChange={(v) => (v === 'quit' ? onDone({ type: 'quit' }) : setScreen({ name: v } as Screen))}
      />
    );
  } else if (screen.name === 'kind') {
    body = (
      <Select
        isDisabled={!raw}
        options={jobKinds.map((k) => ({
          label: `${k.padEnd(9)} ${jobSpecs[k].summary}`,
          value: k,
        }))}
        onChange={(k) => setScreen({ name: 'form', kind: k as JobKind })}
      />
    );
  } else if (typing || runs.length === 0) {
    body = (
      <Box flexDirection="column">
        <Text>{screen.name === 'open' ? 'run directory:' : 'run directories, separated by spaces:'}</Text>
        <TextInput
          isDisabled={!raw}
          placeholder="runs/demo-…"
          onSubmit={(v) => {
            const dirs = v.split(/\s+/).filter(Boolean);
            if (dirs.length === 0) return;
            onDone(screen.name === 'open' ? { type: 'eval', dir: dirs[0]! } : { type: 'compare', dirs });
          }}
        />
      </Box>
    );
  } else if (screen.name === 'open') {
    body = (
      <Select
        isDisabled={!raw}
        options={[
          ...runs.map((r) => ({ label: r.label, value: r.dir })),
          { label: 'type a path…', value: '' },
        ]}
        onChange={(dir) => (dir ? onDone({ type: 'eval', dir }) : setTyping(true))}
      />
    );
  } else {
    body = (
      <Box flexDirection="column">
        <Text dimColor>space selects, Enter compares, Esc goes back</Text>
        <MultiSelect
          isDisabled={!raw}
          options={runs.map((r) => ({ label: r.label, value: r.dir }))}
          onSubmit={(dirs) => dirs.length > 0 && onDone({ type: 'compare', dirs })}
        />
      </Box>
    );
  }
  return (
    <Box flexDirection="column" gap={1}>
      {header}
      {body}
      <Text dimColor>↑/↓ move · Enter choose · Esc back · q quit</Text>
    </Box>
  );
}
