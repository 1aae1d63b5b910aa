import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { press } from '../test/helpers.js';
import { JobForm } from './JobForm.js';
import { jobSpecs } from './jobs/specs.js';
import { fieldsOf } from './options.js';

const demoOptions = jobSpecs.demo.schema;
const pretrainOptions = jobSpecs.pretrain.schema;
/** Down presses from the first field to the start button. */
const toStart = (schema: typeof demoOptions) => fieldsOf(schema).length;

const down = '\u001B[B';
const enter = '\r';
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('JobForm', () => {
  it('lists every option with its default', async () => {
    const view = render(<JobForm kind="demo" schema={demoOptions} onSubmit={vi.fn()} onCancel={vi.fn()} />);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('start rlhf demo'));
    const frame = view.lastFrame() ?? '';
    expect(frame).toMatch(/--preset\s+default/);
    expect(frame).toMatch(/--device\s+cpu/);
    expect(frame).toMatch(/--allow-cpu-fallback\s+false/);
    expect(frame).toContain('[ start ]');
  });

  it('starts the job with the validated defaults when Enter is pressed on start', async () => {
    const onSubmit = vi.fn();
    const view = render(<JobForm kind="demo" schema={demoOptions} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await tick();
    await press(view, ...Array(toStart(demoOptions)).fill(down), enter);
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({
      preset: 'default',
      seed: 0,
      resume: false,
      device: 'cpu',
      allowCpuFallback: false,
    });
  });

  it('handles keys that arrive in one chunk in order', async () => {
    const onSubmit = vi.fn();
    const view = render(<JobForm kind="demo" schema={demoOptions} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await tick();
    view.stdin.write(down.repeat(toStart(demoOptions)) + enter);
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ preset: 'default' });
  });

  it('changes a choice with the arrow keys', async () => {
    const onSubmit = vi.fn();
    const view = render(<JobForm kind="demo" schema={demoOptions} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await tick();
    await press(view, '\u001B[C');
    await vi.waitFor(() => expect(view.lastFrame()).toMatch(/--preset\s+ci/));
  });

  it('says what is missing instead of starting, then starts once the field is filled in', async () => {
    const onSubmit = vi.fn();
    const view = render(
      <JobForm kind="pretrain" schema={pretrainOptions} onSubmit={onSubmit} onCancel={vi.fn()} />,
    );
    await tick();
    const n = toStart(pretrainOptions);
    await press(view, ...Array(n).fill(down), enter);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('missing --data: it is required'));
    expect(onSubmit).not.toHaveBeenCalled();
    await press(view, ...Array(n).fill('\u001B[A'), enter, 'corpus.txt', enter);
    await vi.waitFor(() => expect(view.lastFrame()).toMatch(/--data\s+corpus\.txt/));
    await press(view, ...Array(n).fill(down), enter);
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ data: 'corpus.txt', steps: 1000, nLayer: 4 });
  });

  it('goes back on Esc', async () => {
    const onCancel = vi.fn();
    const view = render(<JobForm kind="demo" schema={demoOptions} onSubmit={vi.fn()} onCancel={onCancel} />);
    await tick();
    await press(view, '\u001B');
    await vi.waitFor(() => expect(onCancel).toHaveBeenCalled());
  });
});
