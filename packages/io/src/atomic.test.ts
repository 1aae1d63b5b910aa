import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDirAtomic, writeFileAtomic } from './atomic.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'atomic-'));

describe('writeFileAtomic', () => {
  it('creates parent directories, replaces the old contents, and leaves no temporary file', async () => {
    const root = tmp();
    const path = join(root, 'a', 'b', 'f.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, new TextEncoder().encode('two'));
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['f.json']);
  });

  it('leaves the old file and no temporary file when the write fails', async () => {
    const root = tmp();
    const path = join(root, 'f');
    writeFileSync(path, 'old');
    // a directory where the temporary file's rename target should be a file makes rename fail
    const dirTarget = join(root, 'd');
    mkdirSync(join(dirTarget, 'x'), { recursive: true });
    await expect(writeFileAtomic(dirTarget, 'new')).rejects.toThrow();
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(root).sort()).toEqual(['d', 'f']);
  });
});

describe('writeDirAtomic', () => {
  it('creates a directory, then replaces it whole (old files dropped)', async () => {
    const dir = join(tmp(), 'ckpt');
    await writeDirAtomic(dir, 'config.json', async (t) => {
      writeFileSync(join(t, 'config.json'), '1');
      writeFileSync(join(t, 'stale.bin'), 'x');
    });
    await writeDirAtomic(dir, 'config.json', async (t) => {
      writeFileSync(join(t, 'config.json'), '2');
    });
    expect(readdirSync(dir)).toEqual(['config.json']);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('2');
    expect(readdirSync(join(dir, '..'))).toEqual(['ckpt']);
  });

  it('keeps the old directory intact when filling the new one fails', async () => {
    const root = tmp();
    const dir = join(root, 'ckpt');
    await writeDirAtomic(dir, 'config.json', async (t) => writeFileSync(join(t, 'config.json'), 'old'));
    await expect(
      writeDirAtomic(dir, 'config.json', async (t) => {
        writeFileSync(join(t, 'config.json'), 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('old');
    expect(readdirSync(root)).toEqual(['ckpt']);
  });

  it('refuses to replace a non-empty directory that lacks the marker file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(writeDirAtomic(dir, 'config.json', async () => {})).rejects.toThrow(
      `${dir}: refusing to replace a non-empty directory that has no config.json`,
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
