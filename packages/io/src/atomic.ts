/**
 * Crash-safe writes, the only ones in rlhfkit. A reader (or a process restarted after a kill) sees either the
 * old file or the new one, never half of one: the data goes to a temporary file in the same directory, is
 * fsynced, and is renamed over the target (rename is atomic within one filesystem); then the directory is
 * fsynced so the rename survives a power loss. Checkpoints, model directories, datasets and run.json use this.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temporary sibling path for `path`: same directory (so a rename is atomic), hidden, unique. */
export function tempSiblingPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Write `data` to `path` atomically, creating the parent directory if needed. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSiblingPath(path);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** writeFileAtomic for callers that cannot await (status files written from event handlers). */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempSiblingPath(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** fsync a directory so that renames and new entries in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems (and Windows) refuse to fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Write a directory atomically: `fill` writes into a temporary sibling directory, which is then renamed to
 * `dir`. An existing `dir` is moved aside, replaced, and deleted, so readers see the old directory or the new
 * one, never a mix (between the two renames `dir` briefly does not exist; a crash there leaves the old one at
 * a hidden `.name.tmp-*` sibling). Files in the old directory that `fill` does not write are dropped. As a
 * guard, an existing non-empty directory is only replaced if it holds `marker` (for example config.json).
 */
export async function writeDirAtomic(
  dir: string,
  marker: string,
  fill: (tmp: string) => Promise<void>,
): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (entries && entries.length > 0 && !entries.includes(marker)) {
    throw new Error(`${dir}: refusing to replace a non-empty directory that has no ${marker}`);
  }
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempSiblingPath(dir);
  await mkdir(tmp);
  try {
    await fill(tmp);
    await fsyncDir(tmp);
    if (entries) {
      const old = tempSiblingPath(dir);
      await rename(dir, old);
      try {
        await rename(tmp, dir);
      } catch (err) {
        await rename(old, dir); // put the old directory back
        throw err;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, dir);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await fsyncDir(dirname(dir));
}
