/**
 * Atomic file writes: write to a temporary file in the target's directory, fsync it, rename it over
 * the target, then fsync the directory. A crash or kill at any point leaves either the old file or
 * the new one, never a half-written file (the temporary file may remain; its name starts with '.').
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Receives the chunks of a file being written; `write` may be called any number of times. */
export type ChunkWriter = (write: (chunk: Uint8Array) => void) => void;

/** The temporary-file prefix used by atomic writes (files starting with it are not finished files). */
export const TEMP_PREFIX = '.tmp-';

/**
 * Writes a file atomically. `data` is the whole content or a function that produces it chunk by
 * chunk (so large files need not be held in memory at once). Creates missing parent directories.
 */
export function writeFileAtomic(path: string, data: Uint8Array | ChunkWriter): void {
  const target = resolve(path);
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${TEMP_PREFIX}${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, 'w', 0o644);
  let ok = false;
  try {
    const write = (chunk: Uint8Array): void => {
      let off = 0;
      while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
    };
    if (typeof data === 'function') data(write);
    else write(data);
    fsyncSync(fd);
    closeSync(fd);
    ok = true;
    renameSync(tmp, target);
  } catch (e) {
    if (!ok) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some platforms cannot fsync a directory; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
