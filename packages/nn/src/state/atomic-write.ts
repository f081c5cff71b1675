import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to `path` so that readers see either the old file or the whole new one:
 * write a temporary file in the same directory (same filesystem, so rename is atomic), fsync
 * it, rename over `path`, then fsync the directory so the rename itself survives a crash.
 * Chunks are produced lazily so large checkpoints are never held twice in memory.
 */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  const fd = openSync(tmp, 'wx');
  let done = false;
  try {
    for (const chunk of chunks) {
      let at = 0;
      while (at < chunk.byteLength) at += writeSync(fd, chunk, at, chunk.byteLength - at);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    done = true;
  } finally {
    if (!done) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      try {
        unlinkSync(tmp);
      } catch {
        // never created or already gone
      }
    }
  }
  syncDirectory(dir);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync directories; the file itself is synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
