/**
 * Temp files genwatt writes beside a recording (`.NAME.<kind>.<pid>-<ms>.genwatt.tmp`: the final
 * document before it is linked into place, spools of its arrays). A genwatt killed mid-write leaves
 * them: the next genwatt recording into the folder removes those whose process is gone.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const TEMP = /^\..*\.(\d+)-\d+\.genwatt\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes genwatt's temp files in `dir` left by processes that no longer run; returns their names. */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // another genwatt may be cleaning too
    }
  }
  return removed;
}
