import { policyLossTypes } from '@rlhfkit/core';
import { describe, expect, it } from 'vitest';
import { lossTypes, PPOConfigError, ppoConfig, ppoConfigIssues, resolvePpoConfig } from './config.js';

describe('ppoConfig', () => {
  it("offers exactly core's policy loss types", () => {
    expect([...lossTypes].sort()).toEqual([...policyLossTypes].sort());
  });

  it('derives groupSize from the algorithm and minibatchSize from the rows, only when not given', () => {
    expect(ppoConfig({ algorithm: 'ppo' })).toMatchObject({ groupSize: 1, minibatchSize: 8 });
    expect(ppoConfig({ algorithm: 'grpo' })).toMatchObject({ groupSize: 4, minibatchSize: 8 });
    expect(ppoConfig({ algorithm: 'reinforce', groupSize: 3, promptsPerIteration: 4 })).toMatchObject({
      groupSize: 3,
      minibatchSize: 6,
    });
    expect(ppoConfig({ promptsPerIteration: 5, minibatchSize: 5 }).minibatchSize).toBe(5);
  });

  it('names each broken cross-field rule by its field, with the fix', () => {
    const c = resolvePpoConfig({ ...ppoConfig(), algorithm: 'rloo', groupSize: 1, minibatchSize: 3 });
    expect(ppoConfigIssues(c)).toEqual([
      { path: ['groupSize'], message: 'rloo compares completions of one prompt: set groupSize ≥ 2 (got 1)' },
      {
        path: ['minibatchSize'],
        message: '3 must divide promptsPerIteration × groupSize = 8; try minibatchSize 2',
      },
    ]);
    expect(() => ppoConfig({ algorithm: 'grpo', groupSize: 1 })).toThrow(PPOConfigError);
    expect(() => ppoConfig({ lr: -1 })).toThrow('invalid PPO config: lr');
  });
});
