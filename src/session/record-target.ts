/**
 * Where a recording goes, checked before anything starts: the folder exists or can be made, and a
 * file can be created in it. Folders are made one level at a time (Node's recursive mkdir loops
 * forever on paths such as /proc/nope), so a bad path fails at once with its reason.
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class RecordTargetError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot record to ${path}: ${reason}`);
  }
}

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOENT':
      return 'no such folder, and it cannot be made there';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    default:
      return code ?? (err as Error).message;
  }
}

/** Makes `dir` and its missing parents, one level at a time (at most 64). */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (let depth = 0; depth < 64; depth++) {
    try {
      if (!statSync(d).isDirectory()) throw new RecordTargetError(dir, `${d} is a file, not a folder`);
      break;
    } catch (err) {
      if (err instanceof RecordTargetError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new RecordTargetError(dir, `${d}: ${why(err)}`);
      missing.unshift(d);
      const up = dirname(d);
      if (up === d) throw new RecordTargetError(dir, 'no such folder');
      d = up;
    }
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw new RecordTargetError(dir, `cannot make ${m}: ${why(err)}`);
    }
  }
}

/**
 * Checks that a file can be created in `dir` without leaving anything behind: in `dir` itself, or
 * where it does not exist yet, in its nearest existing parent (the folders are made when recording
 * starts). Throws RecordTargetError.
 */
export function checkRecordFolder(dir: string): void {
  let d = resolve(dir);
  for (let depth = 0; ; depth++) {
    let st;
    try {
      st = statSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || depth >= 64 || dirname(d) === d) throw new RecordTargetError(dir, `${d}: ${why(err)}`);
      d = dirname(d);
      continue;
    }
    if (!st.isDirectory()) throw new RecordTargetError(dir, `${d} is a file, not a folder`);
    break;
  }
  const probe = join(d, `.genwatt-write-check-${process.pid}-${Date.now()}.genwatt.tmp`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    throw new RecordTargetError(dir, d === resolve(dir) ? why(err) : `cannot make folders in ${d}: ${why(err)}`);
  }
}

/** Checks the folder of a recording file. */
export function checkRecordFile(file: string): void {
  try {
    if (statSync(file).isDirectory()) throw new RecordTargetError(file, 'it is a folder: give a file name (e.g. run.json)');
  } catch (err) {
    if (err instanceof RecordTargetError) throw err;
  }
  checkRecordFolder(dirname(resolve(file)));
}
