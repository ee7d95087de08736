/** A real size-limited filesystem, and filling it: a full disk without mocks (needs root, as CI has). */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';

/** Mounts a tmpfs of `kib` KiB at `dir`; fails (never skips) where mounting is not allowed. Returns the unmount. */
export function mountTmpfs(dir: string, kib: number): () => void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `cannot mount a ${kib} KiB tmpfs at ${dir} to simulate a full disk (${(r.stderr || r.error?.message || '').trim()}); this test needs root (CI runs as root)`,
    );
  return () => void spawnSync('umount', ['-l', dir]);
}

/** Fills the filesystem of `file` to the last byte. */
export function fill(file: string): void {
  const chunk = Buffer.alloc(4096, 1);
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
}
