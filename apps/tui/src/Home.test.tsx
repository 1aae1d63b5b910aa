import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { press } from '../test/helpers.js';
import { Home } from './Home.js';

const down = '\u001B[B';
const enter = '\r';
const tick = () => new Promise((r) => setTimeout(r, 20));
const runs = [
  { dir: '/runs/demo-1', label: 'runs/demo-1  (demo, done)' },
  { dir: '/runs/ppo-2', label: 'runs/ppo-2  (ppo, running)' },
];

describe('Home', () => {
  it('offers to start a job, open a past run or compare runs', async () => {
    const view = render(<Home runs={runs} onDone={vi.fn()} />);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('Start a job'));
    expect(view.lastFrame()).toContain('Open a past run (2 found)');
    expect(view.lastFrame()).toContain('Compare runs');
  });

  it('lists the job kinds with their summaries and opens the form of the one picked', async () => {
    const view = render(<Home runs={runs} onDone={vi.fn()} />);
    await tick();
    await press(view, enter);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('pretrain'));
    expect(view.lastFrame()).toMatch(/sft +supervised fine-tuning/);
    await press(view, enter);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('start rlhf demo'));
  });

  it('opens a past run picked from the list', async () => {
    const onDone = vi.fn();
    const view = render(<Home runs={runs} onDone={onDone} />);
    await tick();
    await press(view, down, enter);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('runs/ppo-2  (ppo, running)'));
    await press(view, down, enter);
    await vi.waitFor(() => expect(onDone).toHaveBeenCalledWith({ type: 'eval', dir: '/runs/ppo-2' }));
  });

  it('compares the runs selected with space', async () => {
    const onDone = vi.fn();
    const view = render(<Home runs={runs} onDone={onDone} />);
    await tick();
    await press(view, down, down, enter);
    await vi.waitFor(() => expect(view.lastFrame()).toContain('space selects'));
    // A key can arrive before a freshly shown list listens; a lost key changes nothing, so repeat it until
    // the screen shows its effect (a delivered key is never repeated).
    const until = async (key: string, text: string) => {
      for (let i = 0; i < 10 && !view.lastFrame()?.includes(text); i++) {
        await press(view, key);
        const deadline = Date.now() + 1500;
        while (!view.lastFrame()?.includes(text) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
      }
      expect(view.lastFrame()).toContain(text);
    };
    await until(' ', 'runs/demo-1  (demo, done) ✔');
    await until(down, '❯ runs/ppo-2');
    await until(' ', 'runs/ppo-2  (ppo, running) ✔');
    await press(view, enter);
    await vi.waitFor(() =>
      expect(onDone).toHaveBeenCalledWith({ type: 'compare', dirs: ['/runs/demo-1', '/runs/ppo-2'] }),
    );
  });

  it('quits on q', async () => {
    const onDone = vi.fn();
    const view = render(<Home runs={[]} onDone={onDone} />);
    await tick();
    await press(view, 'q');
    await vi.waitFor(() => expect(onDone).toHaveBeenCalledWith({ type: 'quit' }));
  });
});
