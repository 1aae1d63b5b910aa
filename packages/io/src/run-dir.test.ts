import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from './jsonl.js';
import { isRunDir, Run, RunDirError, readRunFiles } from './run-dir.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'run-dir-'));
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('Run', () => {
  it('writes run.json through the run, keeps startedAt, and writes summary.json when done', () => {
    const dir = join(tmp(), 'run');
    const run = Run.open(dir, { kind: 'ppo', config: { lr: 1 }, resume: false });
    const started = json(join(dir, 'run.json'));
    expect(started).toMatchObject({ kind: 'ppo', status: 'running', config: { lr: 1 } });
    expect(existsSync(join(dir, 'run.lock'))).toBe(true);
    run.log.append('metrics.jsonl', { step: 1, loss: 2 });
    run.status('paused');
    run.finish('done', { summary: { loss: 1 } });
    const end = json(join(dir, 'run.json'));
    expect(end).toMatchObject({ kind: 'ppo', status: 'done', startedAt: started.startedAt });
    expect(json(join(dir, 'summary.json'))).toEqual({ loss: 1 });
    expect(readJsonLines(join(dir, 'metrics.jsonl'))).toMatchObject([{ step: 1, loss: 2 }]);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('records a failure with its message and no summary', () => {
    const dir = join(tmp(), 'run');
    Run.open(dir, { kind: 'sft', config: {}, resume: false }).finish('failed', { error: 'boom' });
    expect(json(join(dir, 'run.json'))).toMatchObject({ status: 'failed', error: 'boom' });
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
  });

  it('refuses a directory that holds a run unless resume is asked, and says what to do', () => {
    const dir = join(tmp(), 'run');
    Run.open(dir, { kind: 'ppo', config: {}, resume: false }).finish('stopped');
    expect(() => Run.open(dir, { kind: 'ppo', config: {}, resume: false })).toThrow(
      `${dir} already holds a ppo run (status stopped). Pass --resume to continue it, or give another --out`,
    );
    const resumed = Run.open(dir, { kind: 'ppo', config: {}, resume: true });
    expect(json(join(dir, 'run.json')).status).toBe('running');
    resumed.release();
  });

  it('refuses a checkpoint left without run.json, and a resume with nothing to continue', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'pretrain', 'checkpoint'), { recursive: true });
    writeFileSync(join(dir, 'pretrain', 'checkpoint', 'state.json'), '{}');
    expect(() => Run.open(dir, { kind: 'demo', config: {}, resume: false })).toThrow(/holds a checkpoint/);
    expect(() => Run.open(join(dir, 'new'), { kind: 'demo', config: {}, resume: true })).toThrow(
      /nothing to resume in .*new: no run.json or checkpoint; drop --resume/,
    );
  });

  it('refuses to resume a run of another kind', () => {
    const dir = join(tmp(), 'run');
    Run.open(dir, { kind: 'sft', config: {}, resume: false }).finish('stopped');
    expect(() => Run.open(dir, { kind: 'ppo', config: {}, resume: true })).toThrow(
      /holds a sft run; rlhf ppo --resume cannot continue it/,
    );
  });

  it('keeps a second job off a locked directory, naming the holder', () => {
    const dir = join(tmp(), 'run');
    const first = Run.open(dir, { kind: 'ppo', config: {}, resume: false });
    const second = () => Run.open(dir, { kind: 'ppo', config: {}, resume: true });
    expect(second).toThrow(RunDirError);
    expect(second).toThrow(`is in use by another job (rlhf ppo, pid ${process.pid} on ${hostname()}`);
    first.release();
    second().release();
  });

  it('takes over a stale lock whose process is gone', () => {
    const dir = tmp();
    const stale = { pid: deadPid(), host: hostname(), kind: 'ppo', startedAt: '2020-01-01T00:00:00Z' };
    writeFileSync(join(dir, 'run.lock'), JSON.stringify(stale));
    const run = Run.open(dir, { kind: 'ppo', config: {}, resume: false });
    expect(json(join(dir, 'run.lock')).pid).toBe(process.pid);
    run.release();
  });

  it('reads back what it wrote, skipping a torn last line, and nothing from an empty directory', () => {
    const dir = join(tmp(), 'run');
    const run = Run.open(dir, { kind: 'ppo', config: {}, resume: false });
    run.log.append('metrics.jsonl', { step: 1, loss: 2 });
    run.log.append('samples.jsonl', { step: 1, prompt: 'p', completion: 'c', score: 1 });
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step": 2, "lo');
    run.finish('done', { summary: { loss: 1 } });
    const files = readRunFiles(dir);
    expect(files.info).toMatchObject({ kind: 'ppo', status: 'done' });
    expect(files.summary).toEqual({ loss: 1 });
    expect(files.metrics).toMatchObject([{ step: 1, loss: 2 }]);
    expect(files.samples).toMatchObject([{ prompt: 'p', completion: 'c' }]);
    expect(isRunDir(dir)).toBe(true);
    expect(readRunFiles(tmp())).toEqual({ metrics: [], evals: [], samples: [] });
    expect(isRunDir(tmp())).toBe(false);
  });
});
