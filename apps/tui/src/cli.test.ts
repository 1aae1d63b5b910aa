import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEvent } from '@rlhfkit/io';
import { CausalLM, initParams, modelConfig, Tokenizer } from '@rlhfkit/model';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingIo, tempDir } from '../test/helpers.js';
import { defaultOut, main } from './main.js';
import { jobs } from './worker-runner.js';

// Tests that swap in a fake runner put the real one back.
const real = { ...jobs };
afterEach(() => {
  Object.assign(jobs, real);
});

describe('rlhf --help', () => {
  it('lists every command with a one-line summary', async () => {
    const r = recordingIo();
    expect(await main(['--help'], r.io)).toBe(0);
    for (const c of [
      'demo',
      'pretrain',
      'sft',
      'train-rm',
      'ppo',
      'generate',
      'export',
      'eval <run dir>',
      'compare <run dir>...',
    ]) {
      expect(r.out()).toContain(c);
    }
    expect(r.out()).toContain('rlhf');
    expect(r.out()).not.toContain('_fake-job');
  });

  it('lists each flag of a job by section, with its type, default and description', async () => {
    const r = recordingIo();
    expect(await main(['ppo', '--help'], r.io)).toBe(0);
    const out = r.out();
    expect(out).toContain('Usage: rlhf ppo --policy <path> --prompts <path> [options]');
    expect(out).toMatch(
      /--algorithm <name>\s+choice\s+ppo\s+policy-gradient estimator: .*\(one of ppo, reinforce, rloo, grpo,/,
    );
    expect(out).toMatch(/--kl-estimator <name>\s+k1\|k2\|k3\s+k1/);
    expect(out).toMatch(/--kl-coef <number>\s+number\s+0\.05\s+initial \(or fixed\) KL coefficient/);
    expect(out).toMatch(/--group-size <int>\s+int\s+-\s+completions per prompt/);
    expect(out).toMatch(/--resume\s+boolean\s+false/);
    expect(out).toMatch(/--policy <path>\s+string\s+required/);
    expect(out).toMatch(/--reward-fn <spec>\s+string\.\.\.\s+-\s+FILE\.mjs\[:export\], repeatable/);
    const sections = [...out.matchAll(/^([A-Z][\w (),]*):$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      'Inputs',
      'Reward',
      'Algorithm',
      'Rollout and sampling',
      'Optimization',
      'Loss',
      'KL penalty',
      'Run',
      'Common',
    ]);
    expect(out).toContain('--config <file>');
    expect(out).toContain('--json');
  });

  it('documents the demo flags', async () => {
    const r = recordingIo();
    expect(await main(['demo', '-h'], r.io)).toBe(0);
    for (const flag of [
      '--preset <name>',
      '--out <path>',
      '--resume',
      '--seed <int>',
      '--threads <int>',
      '--device <name>',
      '--allow-cpu-fallback',
    ]) {
      expect(r.out()).toContain(flag);
    }
  });

  it('prints the usage and exits 2 when run with no arguments outside a terminal', async () => {
    const r = recordingIo();
    expect(await main([], r.io)).toBe(2);
    expect(r.err()).toContain('Usage: rlhf');
  });
});

describe('argument validation', () => {
  const run = async (...argv: string[]) => {
    const r = recordingIo();
    const code = await main(argv, r.io);
    return { code, err: r.err(), out: r.out() };
  };

  it('names a flag whose value is not a number and exits 2', async () => {
    const r = await run(
      'ppo',
      '--policy',
      'p',
      '--reward-model',
      'rm',
      '--prompts',
      'x',
      '--kl-coef',
      'lots',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain("--kl-coef: expected a number, got 'lots'");
    expect(r.err).toContain("Run 'rlhf ppo --help'");
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('names every missing required flag', async () => {
    const r = await run('train-rm');
    expect(r.code).toBe(2);
    expect(r.err).toContain('missing --data');
    expect(r.err).toContain('missing --model');
  });

  it('rejects an unknown flag and suggests the closest one', async () => {
    const r = await run('pretrain', '--data', 'a.txt', '--step', '10');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --step (did you mean --steps?)');
  });

  it('rejects a choice that is not on the list', async () => {
    const r = await run('demo', '--preset', 'huge');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--preset: must be one of default, ci; got 'huge'");
  });

  it('rejects an integer flag given a fraction and a count below its minimum', async () => {
    const r = await run('pretrain', '--data', 'a.txt', '--n-layer', '1.5', '--steps', '0');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--n-layer: expected an integer, got 1.5');
    expect(r.err).toContain('--steps: must be > 0; got 0');
  });

  it("catches the package's cross-field rules at config time, naming flags and the fix", async () => {
    const ppo = ['ppo', '--policy', 'p', '--reward-model', 'rm', '--prompts', 'x', '--algorithm', 'grpo'];
    const r = await run(...ppo, '--prompts-per-iteration', '3', '--group-size', '4', '--minibatch-size', '8');
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      '--minibatch-size: 8 must divide --prompts-per-iteration × --group-size = 12; try --minibatch-size 6',
    );
    const one = await run(...ppo, '--group-size', '1');
    expect(one.err).toContain(
      '--group-size: grpo compares completions of one prompt: set --group-size ≥ 2 (got 1)',
    );
    const steps = await run('sft', '--model', 'm', '--data', 'd.jsonl', '--steps', '25');
    expect(steps.err).toContain('--steps: 25 must be a multiple of --steps-per-run (10); try 30');
  });

  it('keeps --group-size for every algorithm, and derives it only when it is not given', async () => {
    const seen: Record<string, unknown>[] = [];
    jobs.ppo = (options) => {
      seen.push(options);
      return { control: { pause() {}, resume() {}, saveNow() {}, stop() {} }, done: Promise.resolve({}) };
    };
    const ppo = ['ppo', '--policy', 'p', '--reward-model', 'rm', '--prompts', 'x', '--json'];
    expect(await main([...ppo, '--algorithm', 'reinforce', '--group-size', '4'], recordingIo().io)).toBe(0);
    expect(seen[0]?.['groupSize']).toBe(4);
    expect(await main([...ppo, '--algorithm', 'rloo'], recordingIo().io)).toBe(0);
    expect(seen[1]?.['groupSize']).toBeUndefined(); // the package derives 4 for rloo
  });

  it('asks for a reward, and one weight per reward', async () => {
    const none = await run('ppo', '--policy', 'p', '--prompts', 'x');
    expect(none.err).toContain(
      '--reward-model: give a reward: --reward-model DIR and/or --reward-fn FILE.mjs',
    );
    const w = await run(
      'ppo',
      '--policy',
      'p',
      '--prompts',
      'x',
      '--reward-fn',
      'f.mjs',
      '--reward-weights',
      '1,2',
    );
    expect(w.err).toContain('--reward-weights: 2 weights for 1 rewards; give one per reward');
  });

  it('catches a width that is not a multiple of the head count', async () => {
    const r = await run('pretrain', '--data', 'a.txt', '--n-embd', '100', '--n-head', '3');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--n-embd: must be a multiple of --n-head (3)');
  });

  it('reports a missing input file of a job in one line, exits 2, and writes no run directory', async () => {
    const dir = tempDir();
    const r = await run(
      'ppo',
      '--policy',
      'p',
      '--reward-model',
      'rm',
      '--prompts',
      join(dir, 'none.jsonl'),
      '--out',
      join(dir, 'run'),
    );
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([`error: file not found: ${join(dir, 'none.jsonl')}`]);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('rejects each malformed preference file with one clear line and exit 2, never a stack trace', async () => {
    const dir = tempDir();
    const cases: Array<[string, string, string]> = [
      ['bad-json.jsonl', '{"chosen": "a", "rejected": "b"}\n{"chosen": "a",\n', 'bad-json.jsonl:2'],
      ['missing.jsonl', '{"chosen": "a"}\n', 'missing column "rejected"'],
      ['empty.jsonl', '', 'has no rows'],
      ['types.jsonl', '{"chosen": 3, "rejected": "b"}\n', 'column "chosen" must be a string'],
      ['huge.jsonl', `{"chosen": "${'x'.repeat(50 * 1024 * 1024)}", "rejected": "b"}\n`, 'huge.jsonl:1'],
    ];
    for (const [name, text, expected] of cases) {
      writeFileSync(join(dir, name), text);
      const r = await run(
        'train-rm',
        '--data',
        join(dir, name),
        '--model',
        join(dir, 'none'),
        '--out',
        join(dir, `run-${name}`),
      );
      expect(r.code, name).toBe(2);
      const lines = r.err.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toContain(expected);
      expect(r.err, name).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, `run-${name}`)), name).toBe(false);
    }
  });

  it('pretrains on prompt/completion JSON lines (loss on the completion) and writes a model directory', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ prompt: `Q${i % 5}:`, completion: ` ${i % 5} apples.` }),
    );
    writeFileSync(join(dir, 'sft.jsonl'), `${lines.join('\n')}\n`);
    const args = [
      '--data',
      join(dir, 'sft.jsonl'),
      '--out',
      join(dir, 'run'),
      '--steps',
      '10',
      '--vocab-size',
      '280',
    ];
    const shape = [
      '--n-layer',
      '1',
      '--n-head',
      '2',
      '--n-embd',
      '16',
      '--n-positions',
      '16',
      '--eval-fraction',
      '0.1',
    ];
    const r = await run('pretrain', ...args, ...shape);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'run', 'model', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'run', 'eval.jsonl'))).toBe(true);
  });

  it('fine-tunes a Qwen3 model directory with rlhf sft and saves it in its own layout', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ prompt: `Q${i % 5}:`, completion: ` ${i % 5} apples.` }),
    );
    writeFileSync(join(dir, 'sft.jsonl'), `${lines.join('\n')}\n`);
    const tok = Tokenizer.train(lines.join('\n'), { vocabSize: 280 });
    const c = modelConfig({
      family: 'qwen3',
      nLayer: 1,
      nHead: 2,
      nKVHead: 1,
      headDim: 8,
      nEmbd: 16,
      nInner: 32,
      vocabSize: tok.vocabSize,
      nPositions: 32,
      bosTokenId: tok.bosTokenId,
      eosTokenId: tok.eosTokenId,
    });
    await new CausalLM(c, initParams(c, 1), {}, {}, tok).save(join(dir, 'base'));
    const args = ['--data', join(dir, 'sft.jsonl'), '--model', join(dir, 'base'), '--steps', '10'];
    const tooLong = await run('sft', ...args, '--context-length', '64', '--out', join(dir, 'long'));
    expect(tooLong.code).toBe(2);
    expect(tooLong.err).toContain("--context-length 64 exceeds the model's context (32 tokens)");
    expect(existsSync(join(dir, 'long'))).toBe(false);
    const r = await run('sft', ...args, '--context-length', '16', '--out', join(dir, 'run'));
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'run', 'model', 'config.json'), 'utf8'));
    expect(saved).toMatchObject({ model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'], head_dim: 8 });
  });

  it('rejects an unknown command', async () => {
    const r = await run('train');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'train'");
  });
});

describe('config files', () => {
  it('merges a YAML config under the flags, with kebab-case keys', async () => {
    const dir = tempDir();
    const config = join(dir, 'job.yaml');
    writeFileSync(config, 'duration: 100\nout: fake-run\n');
    const r = recordingIo({ cwd: dir });
    // The flag wins over the config's 100 s, so the job finishes at once.
    expect(await main(['_fake-job', '--config', config, '--duration', '0.05', '--json'], r.io)).toBe(0);
    expect(r.out()).toContain('"type":"done"');
    const seen: unknown[] = [];
    jobs.pretrain = (options) => {
      seen.push(options);
      return { control: { pause() {}, resume() {}, saveNow() {}, stop() {} }, done: Promise.resolve({}) };
    };
    writeFileSync(config, 'data: corpus.txt\nvocab-size: 2000\nsteps: 50\n');
    expect(await main(['pretrain', '--config', config, '--steps', '70'], r.io)).toBe(0);
    expect(seen[0]).toMatchObject({
      data: join(dir, 'corpus.txt'),
      vocabSize: 2000,
      steps: 70,
      out: expect.stringContaining(join(dir, 'runs', 'pretrain-')),
    });
  });

  it('names a bad field of a JSON config with the file it came from', async () => {
    const dir = tempDir();
    const config = join(dir, 'job.json');
    writeFileSync(config, JSON.stringify({ data: 'a.txt', lr: -1, colour: 'blue' }));
    const r = recordingIo();
    expect(await main(['pretrain', '--config', config], r.io)).toBe(2);
    expect(r.err()).toContain(`lr (in ${config}): must be > 0; got -1`);
    expect(r.err()).toContain(`${config}: unknown field colour; remove it`);
  });

  it('reports a config file that is missing or not valid YAML', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'steps: [1, 2\n');
    const r = recordingIo();
    expect(await main(['pretrain', '--config', join(dir, 'nope.yaml')], r.io)).toBe(2);
    expect(r.err()).toContain('nope.yaml: no such file');
    expect(await main(['pretrain', '--config', bad], r.io)).toBe(2);
    expect(r.err()).toContain('is not valid YAML');
  });
});

describe('running a job without a terminal', () => {
  it('prints plain progress lines and exits 0 when the job is done', async () => {
    const r = recordingIo();
    expect(await main(['_fake-job', '--duration', '0.1'], r.io)).toBe(0);
    expect(r.out()).toContain('[1/3] pretrain');
    expect(r.out()).toContain('[3/3] ppo');
    expect(r.out()).toMatch(/ppo {2}step 50\/50 100%/);
    expect(r.out()).toMatch(/ppo {2}step 50 {2}objective\/scores=/);
    expect(r.out()).toContain('gold_score_after: 0.61');
    expect(r.out()).not.toContain('\u001b[');
  });

  it('prints every event as one JSON line with --json', async () => {
    const r = recordingIo();
    expect(await main(['_fake-job', '--duration', '0.1', '--json'], r.io)).toBe(0);
    const events = r
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JobEvent);
    expect(events[0]).toEqual({ type: 'stage', stage: 'pretrain', index: 0, total: 3 });
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(120);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('exits 1 and prints the error when the job fails', async () => {
    const r = recordingIo();
    expect(await main(['_fake-job', '--duration', '0.1', '--fail'], r.io)).toBe(1);
    expect(r.err()).toContain('error: scripted failure in ppo');
  });

  it('stops the job on SIGINT, waits for it, and exits 130', async () => {
    const r = recordingIo();
    let interrupt = () => {};
    r.io.onInterrupt = (handler) => {
      interrupt = handler;
      return () => {};
    };
    const code = main(['_fake-job', '--duration', '5'], r.io);
    await new Promise((resolve) => setTimeout(resolve, 100));
    interrupt();
    expect(await code).toBe(130);
    expect(r.err()).toContain('stopping: writing a checkpoint');
    expect(r.out()).toContain('checkpoint  pretrain');
    expect(r.out()).toContain('stopped after');
  });

  it('names the default run directory after the job and the time', () => {
    expect(defaultOut('ppo', '/work', new Date('2025-03-04T05:06:07.890Z'))).toBe(
      '/work/runs/ppo-2025-03-04-050607',
    );
  });
});
