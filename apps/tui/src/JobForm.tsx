/**
 * A job's options as a form, with the schema's defaults filled in. ↑/↓ move, Enter edits a field (Enter
 * again keeps it), ←/→ or space change a choice, Enter on "start" validates and starts, Esc goes back.
 */
import { TextInput } from '@inkjs/ui';
import { Box, Text, useInput, useStdin } from 'ink';
import { useRef, useState } from 'react';
import type { ZodObject } from 'zod';
import { UsageError } from './io.js';
import { type CrossCheck, type FieldSpec, fieldsOf, validateOptions } from './options.js';

export interface JobFormProps {
  kind: string;
  schema: ZodObject;
  /** The command's rules across fields. */
  check?: CrossCheck;
  onSubmit: (options: Record<string, unknown>) => void;
  onCancel: () => void;
}

const initial = (f: FieldSpec) => (f.default === undefined ? '' : String(f.default));

/** Form values (strings) to raw options: blanks left out, numbers converted, booleans parsed. */
export function formOptions(fields: FieldSpec[], values: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (values[f.key] ?? '').trim();
    if (v === '') continue;
    if (f.type === 'boolean') raw[f.key] = v === 'true';
    else if (f.type === 'array') {
      const items = v.split(',').map((x) => x.trim());
      raw[f.key] = f.items === 'number' ? items.map((x) => (Number.isNaN(Number(x)) ? x : Number(x))) : items;
    } else if ((f.type === 'number' || f.type === 'integer') && v !== '' && !Number.isNaN(Number(v)))
      raw[f.key] = Number(v);
    else raw[f.key] = v;
  }
  return raw;
}

export function JobForm({ kind, schema, check, onSubmit, onCancel }: JobFormProps) {
  const fields = fieldsOf(schema);
  // Keys typed fast arrive in one chunk and are handled before React re-renders, so the handler reads and
  // writes the form through refs, and the state only mirrors them for rendering.
  const valuesRef = useRef<Record<string, string>>(
    Object.fromEntries(fields.map((f) => [f.key, initial(f)])),
  );
  const cursorRef = useRef(0);
  const [values, setValuesState] = useState(valuesRef.current);
  const [cursor, setCursorState] = useState(0);
  const [editing, setEditing] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const { isRawModeSupported } = useStdin();
  const setValues = (v: Record<string, string>) => {
    valuesRef.current = v;
    setValuesState(v);
  };
  const moveTo = (c: number) => {
    cursorRef.current = Math.max(0, Math.min(fields.length, c));
    setCursorState(cursorRef.current);
  };

  const cycle = (f: FieldSpec, step: number) => {
    const choices = f.type === 'boolean' ? ['false', 'true'] : (f.choices ?? []);
    const current = valuesRef.current;
    const at = choices.indexOf(current[f.key] ?? '');
    setValues({ ...current, [f.key]: choices[(at + step + choices.length) % choices.length] ?? '' });
  };

  const start = () => {
    const raw = formOptions(fields, valuesRef.current);
    const sources = Object.fromEntries(Object.keys(raw).map((k) => [k, 'flag' as const]));
    try {
      onSubmit(
        validateOptions(
          kind,
          schema,
          { raw, sources, positionals: [], common: { json: false, help: false } },
          check,
        ),
      );
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      setErrors(err.message.split('\n').slice(0, -1));
    }
  };

  useInput(
    (input, key) => {
      if (key.escape) return editing ? setEditing(false) : onCancel();
      if (editing) return;
      const field = fields[cursorRef.current];
      if (key.upArrow) moveTo(cursorRef.current - 1);
      else if (key.downArrow || key.tab) moveTo(cursorRef.current + 1);
      else if (
        field &&
        (field.type === 'enum' || field.type === 'boolean') &&
        (key.leftArrow || key.rightArrow || input === ' ')
      )
        cycle(field, key.leftArrow ? -1 : 1);
      else if (key.return) {
        if (!field) start();
        else if (field.type === 'enum' || field.type === 'boolean') cycle(field, 1);
        else setEditing(true);
      }
    },
    { isActive: isRawModeSupported === true },
  );

  const labelWidth = Math.max(...fields.map((f) => f.flag.length)) + 6;
  return (
    <Box flexDirection="column">
      <Text bold color="cyan">
        start rlhf {kind}
      </Text>
      {fields.map((f, i) => (
        <Box key={f.key}>
          <Text {...(i === cursor ? { color: 'cyan' } : {})}>
            {`${i === cursor ? '›' : ' '} --${f.flag}`.padEnd(labelWidth)}
          </Text>
          {editing && i === cursor ? (
            <TextInput
              defaultValue={values[f.key] ?? ''}
              onSubmit={(v) => {
                setValues({ ...valuesRef.current, [f.key]: v });
                setEditing(false);
              }}
            />
          ) : (
            <Text wrap="truncate-end">
              {values[f.key] || <Text dimColor>{f.required ? '(required)' : '(default)'}</Text>}
              <Text dimColor>{i === cursor ? `   ${f.description}` : ''}</Text>
            </Text>
          )}
        </Box>
      ))}
      <Text {...(cursor === fields.length ? { color: 'green' } : {})} bold>
        {cursor === fields.length ? '› ' : '  '}[ start ]
      </Text>
      {errors.map((e) => (
        <Text key={e} color="red">
          {e}
        </Text>
      ))}
      <Text dimColor>↑/↓ move · Enter edit · ←/→ change a choice · Enter on start runs it · Esc back</Text>
    </Box>
  );
}
