import { it } from 'vitest';
import { runDemo } from './demo.js';

it('dev', async () => {
  const s = await runDemo(
    {
      preset: (process.env.DEMO_PRESET ?? 'ci') as 'ci',
      out: process.env.DEMO_OUT!,
      seed: Number(process.env.DEMO_SEED ?? 0),
      device: 'cpu',
      allowCpuFallback: false,
    },
    (e) => {
      if (
        e.type === 'stage' ||
        e.type === 'log' ||
        (e.type === 'metrics' && (e.stage !== 'pretrain' || e.step % 200 === 0))
      )
        console.log(JSON.stringify(e).slice(0, 400));
    },
  );
  console.log(JSON.stringify(s, null, 1));
}, 3_600_000);
