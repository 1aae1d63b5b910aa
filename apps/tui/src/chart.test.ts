import { describe, expect, it } from 'vitest';
import { presentCharts, renderChart, resample } from './chart.js';

describe('charts', () => {
  it('shrinks a long series by averaging buckets and leaves a short one alone', () => {
    expect(resample([1, 2, 3, 4, 5, 6], 3)).toEqual([1.5, 3.5, 5.5]);
    expect(resample([1, 2], 10)).toEqual([1, 2]);
  });

  it('picks the charts whose keys are present, two keys at most each', () => {
    const charts = presentCharts({
      'objective/scores': [1],
      'objective/rlhf_reward': [1],
      'objective/kl': [],
      loss: [2],
    });
    expect(charts).toEqual([
      { title: 'reward', keys: ['objective/scores', 'objective/rlhf_reward'] },
      { title: 'loss', keys: ['loss'] },
    ]);
  });

  it('draws a chart no wider than asked, labelled with the range of the bucket means', () => {
    const lines = renderChart([Array.from({ length: 500 }, (_, i) => i / 100)], {
      width: 60,
      height: 5,
    }).split('\n');
    expect(lines).toHaveLength(5);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(lines[0]).toContain('4.94'); // the mean of the last bucket of 500 points squeezed into 49
    expect(lines.at(-1)).toContain('0');
  });

  it('draws a flat or single-point series with its value, and nothing for no data', () => {
    expect(renderChart([[3, 3, 3]], { width: 40, height: 3 })).toContain('3');
    expect(renderChart([[0.25]], { width: 40, height: 3 })).toContain('0.25');
    expect(renderChart([[], [Number.NaN]], { width: 40, height: 3 })).toBe('');
  });
});
