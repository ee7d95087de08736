/**
 * What must hold before a run starts measuring: the command exists and can be executed, and the
 * output folder is a folder (or does not exist yet: it is waited for). Checked before the idle
 * baseline and before a recording is opened, so a run that cannot start says why at once, with one
 * line, and records nothing.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { MeasureConfig } from './measure-config.js';

export class RunNotStartedError extends Error {
  readonly notStarted = true;
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function executable(path: string): 'ok' | 'missing' | 'not-executable' {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 'missing';
  }
  if (!st.isFile()) return 'not-executable';
  try {
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

/** The command as the OS would find it (PATH for a bare name, else relative to `cwd`). */
export function checkCommand(cmd: string, cwd: string, path = process.env.PATH ?? ''): void {
  if (cmd.includes('/')) {
    const full = isAbsolute(cmd) ? cmd : resolve(cwd, cmd);
    const v = executable(full);
    if (v === 'missing') throw new RunNotStartedError(`command not found: ${cmd}`, 127);
    if (v === 'not-executable') throw new RunNotStartedError(`command is not executable (permission denied or not a file): ${cmd}`, 126);
    return;
  }
  let seen: 'missing' | 'not-executable' = 'missing';
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const v = executable(join(resolve(cwd, dir), cmd));
    if (v === 'ok') return;
    if (v === 'not-executable') seen = 'not-executable';
  }
  if (seen === 'not-executable') throw new RunNotStartedError(`command is not executable (permission denied): ${cmd}`, 126);
  throw new RunNotStartedError(`command not found: ${cmd} (not on PATH)`, 127);
}

/** The output folder is a folder, or does not exist yet. */
export function checkOutDir(dir: string, watchOnly = false): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    // `watch` has no generator that could make the tree: a folder whose parent is missing too is a typo.
    if (watchOnly && !isDir(dirname(resolve(dir))))
      throw new RunNotStartedError(`neither ${dir} nor the folder it would be in (${dirname(resolve(dir))}) exists: check the path`, 2);
    return; // not there yet: the watcher waits for it
  }
  if (!st.isDirectory()) throw new RunNotStartedError(`--out ${dir} is a file, not a folder: give the folder the generator writes images into`, 2);
}

/** A run that cannot start says so before anything is measured or recorded (throws RunNotStartedError). */
export function preflightRun(c: Pick<MeasureConfig, 'mode' | 'outDir' | 'argv' | 'backend' | 'cwd'>): void {
  if (c.mode === 'monitor') return;
  if (c.outDir) checkOutDir(c.outDir, c.mode === 'watch');
  if (c.argv && !(c.backend && c.backend.kind !== 'command')) checkCommand(c.argv[0], c.cwd);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
