import { join } from 'node:path';
import { devices as engineDevices } from '@rlhfkit/engine';
import { newModelSchema, pretrainConfigSchema, sftConfigSchema } from '@rlhfkit/model/configs';
import { ppoConfig, ppoConfigSchema } from '@rlhfkit/ppo/config';
import { rewardTrainConfigSchema } from '@rlhfkit/reward-model/config';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { recordingIo } from '../../test/helpers.js';
import { main } from '../main.js';
import { type FieldSpec, fieldsOf } from '../options.js';
import { jobs } from '../worker-runner.js';
import { devices, jobKinds, jobSpecs, pick } from './specs.js';

const real = { ...jobs };
afterEach(() => {
  Object.assign(jobs, real);
});

/** A valid value for a field that differs from its default (doubling keeps the packages' divisibility rules). */
function otherValue(f: FieldSpec): unknown {
  const d = f.default;
  if (f.type === 'boolean') return d !== true;
  if (f.type === 'enum') return f.choices!.find((c) => c !== d);
  if (f.type === 'integer') return typeof d === 'number' && d > 0 ? d * 2 : 2;
  if (f.type === 'number') return typeof d === 'number' && d > 0 ? d / 2 : 0.5;
  if (f.type === 'array') return f.items === 'number' ? [0.5, 2] : ['reward.mjs:score'];
  return f.key === 'out' ? 'run-dir' : `${f.key}-value`;
}

const toArgv = (f: FieldSpec, v: unknown): string[] => {
  if (f.type === 'boolean') return [v ? `--${f.flag}` : `--no-${f.flag}`];
  if (Array.isArray(v)) return v.flatMap((x) => [`--${f.flag}`, String(x)]);
  return [`--${f.flag}`, String(v)];
};

/** The package config schemas each job's options feed. */
const packageSchemas: Record<string, z.ZodObject[]> = {
  demo: [],
  pretrain: [newModelSchema, pretrainConfigSchema],
  sft: [sftConfigSchema],
  'train-rm': [rewardTrainConfigSchema],
  ppo: [ppoConfigSchema],
};

describe('every flag of every job', () => {
  for (const kind of jobKinds) {
    it(`reaches rlhf ${kind}'s runner and its package config unchanged`, async () => {
      const fields = fieldsOf(jobSpecs[kind].schema);
      const values = Object.fromEntries(fields.map((f) => [f.key, otherValue(f)]));
      if (kind === 'ppo') values['algorithm'] = 'grpo'; // groupSize 2 and minibatchSize 2 suit it
      const argv = fields.flatMap((f) => toArgv(f, values[f.key]));
      const seen: Record<string, unknown>[] = [];
      jobs[kind] = (options) => {
        seen.push(options);
        return { control: { pause() {}, resume() {}, saveNow() {}, stop() {} }, done: Promise.resolve({}) };
      };
      const r = recordingIo({ cwd: '/work' });
      expect(await main([kind, ...argv, '--json'], r.io), r.err()).toBe(0);
      const options = seen[0]!;
      for (const f of fields) {
        const v = values[f.key];
        const expected = f.path
          ? Array.isArray(v)
            ? v.map((x) => join('/work', x))
            : join('/work', String(v))
          : v;
        expect(options[f.key], `--${f.flag}`).toEqual(expected);
      }
      for (const schema of packageSchemas[kind]!) {
        const config = schema.parse(pick(schema, options)) as Record<string, unknown>;
        for (const key of Object.keys(schema.shape)) expect(config[key], key).toEqual(values[key]);
      }
      if (kind === 'ppo')
        expect(ppoConfig(pick(ppoConfigSchema, options))).toMatchObject(pick(ppoConfigSchema, values));
    });
  }

  it("offers exactly the engine's devices", () => {
    expect([...devices].sort()).toEqual([...engineDevices].sort());
  });

  it('has a description and a help section for every option', () => {
    for (const kind of jobKinds) {
      for (const f of fieldsOf(jobSpecs[kind].schema)) {
        expect(f.description, `rlhf ${kind} --${f.flag}`).not.toBe('');
        expect(f.group, `rlhf ${kind} --${f.flag}`).not.toBe('options');
      }
    }
  });
});
