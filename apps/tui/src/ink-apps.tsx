/**
 * Everything that starts Ink. The CLI loads this module only when it draws on a terminal, because Ink and
 * React take about half a second to load and `rlhf --help`, pipes and CI should not pay for them.
 */

import { render, renderToString } from 'ink';
import type { EventSource } from './event-bus.js';
import { Home, type HomeAction } from './Home.js';
import { exitCodes, type Io } from './io.js';
import { LiveJob } from './LiveJob.js';
import { Report } from './Report.js';
import type { Block } from './report-blocks.js';
import type { RunEntry } from './runs.js';

/** The live view until the job ends; Ctrl-C or SIGINT make it exit 130 once the job has stopped. */
export async function runLiveJob(
  title: string,
  source: EventSource,
  control: { stop(): void; pause(): void; resume(): void; saveNow(): void },
  finish: Promise<number>,
  io: Io,
): Promise<number> {
  let reason: 'quit' | 'interrupt' | undefined;
  const onStop = (r: 'quit' | 'interrupt') => {
    reason ??= r;
  };
  const instance = render(<LiveJob title={title} source={source} control={control} onStop={onStop} />, {
    exitOnCtrlC: false,
  });
  // A SIGINT from outside (kill -INT) stops the job like Ctrl-C in the view does.
  const off = io.onInterrupt?.(() => {
    onStop('interrupt');
    control.stop();
  });
  const code = await finish;
  off?.();
  await new Promise((r) => setTimeout(r, 100)); // let the final frame render
  instance.unmount();
  await instance.waitUntilExit();
  return code === exitCodes.ok && reason === 'interrupt' ? exitCodes.interrupted : code;
}

/** The home screen until the user picks something (Ctrl-C or q is quit). */
export function runHome(runs: RunEntry[]): Promise<HomeAction> {
  return new Promise<HomeAction>((done) => {
    const instance = render(
      <Home
        runs={runs}
        onDone={(a) => {
          done(a);
          instance.unmount();
        }}
      />,
    );
    void instance.waitUntilExit().then(() => done({ type: 'quit' }));
  });
}

export function renderReport(blocks: Block[], width: number): string {
  return renderToString(<Report blocks={blocks} width={width} />, { columns: width + 1 });
}
