/** `rlhf demo`: the offline pipeline of demo/demo.ts as a job. */
import type { JobRunner } from './specs.js';
import { startJob } from './start.js';

export const run: JobRunner = (o, sink) =>
  startJob(
    'demo',
    o,
    sink,
    async () => (await import('../demo/demo.js')).runDemo,
    (runDemo, { out, sink, control }) =>
      runDemo({ preset: o['preset'] as 'default' | 'ci', out, seed: o['seed'] as number }, sink, control),
  );
