import { EventEmitter } from 'node:events';
import type { JobControl, JobEvent } from '@rlhfkit/io';
import { render as inkRender } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventBus } from './event-bus.js';
import { LiveJob } from './LiveJob.js';

function setup() {
  const bus = createEventBus();
  const control: JobControl = { pause: vi.fn(), resume: vi.fn(), saveNow: vi.fn(), stop: vi.fn() };
  const onStop = vi.fn();
  const view = render(
    <LiveJob title="ppo" source={bus.source} control={control} onStop={onStop} color={false} />,
  );
  const send = (...events: JobEvent[]) => {
    for (const e of events) bus.sink(e);
  };
  const frame = () => view.lastFrame() ?? '';
  return { view, control, onStop, send, frame };
}

const ppoSteps = (n: number): JobEvent[] =>
  Array.from({ length: n }, (_, i) => [
    { type: 'progress', stage: 'ppo', step: i + 1, total: 20 } as const,
    {
      type: 'metrics',
      stage: 'ppo',
      step: i + 1,
      metrics: {
        'objective/scores': i / 10,
        'objective/kl': i / 100,
        'loss/value_avg': 1 - i / 10,
        'perf/tokens_per_s': 1500,
      },
    } as const,
  ]).flat();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('LiveJob', () => {
  it('shows the current stage with its progress, the throughput and charts of the metrics present', async () => {
    const { send, frame } = setup();
    send({ type: 'stage', stage: 'ppo', index: 4, total: 6 }, ...ppoSteps(5));
    await vi.waitFor(() => expect(frame()).toContain('stage 5/6 ppo'));
    expect(frame()).toContain('5/20 25%');
    expect(frame()).toContain('1500 tok/s');
    expect(frame()).toContain('reward');
    expect(frame()).toContain('KL');
    expect(frame()).toContain('policy / value loss');
    expect(frame()).toMatch(/[┤┼]/);
    expect(frame()).not.toContain('RM accuracy');
  });

  it('shows the RM accuracy chart for a reward model stage', async () => {
    const { send, frame } = setup();
    send(
      { type: 'stage', stage: 'train-rm', index: 0, total: 1 },
      { type: 'metrics', stage: 'train-rm', step: 1, metrics: { 'accuracy/eval_accuracy': 0.6 } },
      { type: 'metrics', stage: 'train-rm', step: 2, metrics: { 'accuracy/eval_accuracy': 0.7 } },
    );
    await vi.waitFor(() => expect(frame()).toContain('RM accuracy'));
    expect(frame()).toContain('eval_accuracy 0.7');
  });

  it('shows the latest samples with their scores', async () => {
    const { send, frame } = setup();
    send(
      { type: 'stage', stage: 'ppo', index: 0, total: 1 },
      {
        type: 'samples',
        stage: 'ppo',
        step: 10,
        samples: [{ prompt: 'The sea', completion: 'was calm and kind', score: 1.25 }],
      },
    );
    await vi.waitFor(() => expect(frame()).toContain('The sea ▸ was calm and kind'));
    expect(frame()).toContain('1.25');
    expect(frame()).toContain('ppo step 10');
  });

  it('prints finished stages above the live view', async () => {
    const { send, view } = setup();
    send(
      { type: 'stage', stage: 'pretrain', index: 0, total: 2 },
      { type: 'progress', stage: 'pretrain', step: 3, total: 3 },
      { type: 'stage', stage: 'ppo', index: 1, total: 2 },
    );
    await vi.waitFor(() => expect(view.frames.join('')).toContain('✔ pretrain  3/3 steps'));
  });

  it('pauses on p, and resumes on p once the job says it is paused', async () => {
    const { send, control, view, frame } = setup();
    send({ type: 'stage', stage: 'ppo', index: 0, total: 1 });
    await vi.waitFor(() => expect(frame()).toContain('stage 1/1 ppo'));
    view.stdin.write('p');
    await vi.waitFor(() => expect(control.pause).toHaveBeenCalledTimes(1));
    await vi.waitFor(() => expect(frame()).toContain('pause requested'));
    send({ type: 'status', status: 'paused' });
    await vi.waitFor(() => expect(frame()).toContain('p resume'));
    view.stdin.write('p');
    await vi.waitFor(() => expect(control.resume).toHaveBeenCalledTimes(1));
  });

  it('asks the job for a checkpoint on s', async () => {
    const { send, control, view, frame } = setup();
    send({ type: 'stage', stage: 'ppo', index: 0, total: 1 });
    await vi.waitFor(() => expect(frame()).toContain('ppo'));
    view.stdin.write('s');
    await vi.waitFor(() => expect(control.saveNow).toHaveBeenCalledTimes(1));
  });

  it('stops the job cleanly on q and says it is writing a checkpoint', async () => {
    const { send, control, onStop, view, frame } = setup();
    send({ type: 'stage', stage: 'ppo', index: 0, total: 1 });
    await vi.waitFor(() => expect(frame()).toContain('ppo'));
    view.stdin.write('q');
    await vi.waitFor(() => expect(control.stop).toHaveBeenCalledTimes(1));
    expect(onStop).toHaveBeenCalledWith('quit');
    await vi.waitFor(() => expect(frame()).toContain('stopping'));
    view.stdin.write('q');
    view.stdin.write('p');
    expect(control.stop).toHaveBeenCalledTimes(1);
    expect(control.pause).not.toHaveBeenCalled();
    send({ type: 'done', summary: {} });
    await vi.waitFor(() => expect(frame()).toContain('stopped'));
  });

  it('treats Ctrl-C as an interrupt that stops the job', async () => {
    const { send, control, onStop, view, frame } = setup();
    send({ type: 'stage', stage: 'ppo', index: 0, total: 1 });
    await vi.waitFor(() => expect(frame()).toContain('ppo'));
    view.stdin.write('\u0003');
    await vi.waitFor(() => expect(control.stop).toHaveBeenCalledTimes(1));
    expect(onStop).toHaveBeenCalledWith('interrupt');
  });

  it('shows the help overlay on ? and hides it on ? again', async () => {
    const { view, frame } = setup();
    await vi.waitFor(() => expect(frame()).toContain('? help'));
    view.stdin.write('?');
    await vi.waitFor(() => expect(frame()).toContain('stop cleanly: checkpoint, then exit'));
    view.stdin.write('?');
    await vi.waitFor(() => expect(frame()).not.toContain('stop cleanly'));
  });

  it('acts on each key when several arrive in one chunk', async () => {
    const { send, control, view, frame } = setup();
    send({ type: 'stage', stage: 'ppo', index: 0, total: 1 });
    await vi.waitFor(() => expect(frame()).toContain('ppo'));
    view.stdin.write('?s');
    await vi.waitFor(() => expect(control.saveNow).toHaveBeenCalledTimes(1));
    await vi.waitFor(() => expect(frame()).toContain('stop cleanly'));
  });

  it('shows the summary and the error of a job that ended', async () => {
    const { send, frame } = setup();
    send(
      { type: 'stage', stage: 'ppo', index: 0, total: 1 },
      { type: 'done', summary: { gold_score_after: 0.61 } },
    );
    await vi.waitFor(() => expect(frame()).toContain('gold_score_after'));
    expect(frame()).toContain('done');
    const failed = setup();
    failed.send({ type: 'error', message: 'NaN in the policy loss' });
    await vi.waitFor(() => expect(failed.view.frames.join('')).toContain('NaN in the policy loss'));
    expect(failed.frame()).toContain('failed');
  });

  it('renders without listening for keys when stdin is not a terminal', async () => {
    // A stdin without isTTY: Ink reports isRawModeSupported as undefined, and useInput must stay off.
    const stdin = Object.assign(new EventEmitter(), {
      setEncoding() {},
      resume() {},
      pause() {},
      ref() {},
      unref() {},
    });
    let output = '';
    const stdout = Object.assign(new EventEmitter(), { columns: 100, write: (s: string) => (output += s) });
    const bus = createEventBus();
    const control: JobControl = { pause: vi.fn(), resume: vi.fn(), saveNow: vi.fn(), stop: vi.fn() };
    const app = inkRender(<LiveJob title="ppo" source={bus.source} control={control} color={false} />, {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      debug: true,
      patchConsole: false,
    });
    await vi.waitFor(() => expect(output).toContain('keys are off'));
    app.unmount();
  });
});
