/** The output watcher of a measured run, wired to the session's hooks. */
import { existsSync } from 'node:fs';
import type { ImageEvent } from '../images/batches.js';
import type { OutputWatcher } from '../images/watcher.js';
import type { MeasureConfig } from './measure-config.js';

export interface WatcherHooks {
  /** A file is complete (before its metadata is read): the moment for a counter read. */
  complete: () => void;
  image: (ev: ImageEvent) => void;
  note: (message: string) => void;
  /** The folder does not exist yet: waited for. */
  waiting: (dir: string) => void;
  /** Watching a folder that appeared later failed. */
  fail: (err: Error) => void;
}

/** `ready` settles once an existing folder is watched (before the command starts); a missing one is waited for. */
export async function openWatcher(dir: string, config: MeasureConfig, hooks: WatcherHooks): Promise<{ watcher: OutputWatcher; ready: Promise<void> }> {
  const { OutputWatcher } = await import('../images/watcher.js');
  // Forge/A1111 save grids into *-grids folders next to the images (modules/shared_options.py outdir_*_grids).
  const w = new OutputWatcher(dir, { entropy: config.blankCheck !== false, ...(config.backend?.kind === 'forge' ? { ignoreFolder: (name: string) => /-grids$/.test(name) } : {}) });
  w.on('complete', hooks.complete);
  w.on('image', hooks.image);
  w.on('note', hooks.note);
  w.on('waiting', (d: string) => {
    hooks.note(`waiting for ${d} to appear`);
    hooks.waiting(d);
  });
  w.on('error', (err: Error) => hooks.note(err.message));
  const started = w.start();
  if (existsSync(dir)) return { watcher: w, ready: started };
  started.catch(hooks.fail);
  return { watcher: w, ready: Promise.resolve() };
}

/**
 * Takes a last look at the folder (files whose events are late), lets files still being checked
 * finish (up to 3 s); with `expected` (a server's own count) also
 * waits, up to 5 s, until that many images were seen: a busy machine can deliver a folder's events late.
 */
export async function settleWatcher(w: OutputWatcher, seen: () => number, expected: number | null): Promise<void> {
  const t0 = Date.now();
  const waiting = () => {
    const ms = Date.now() - t0;
    return (w.pendingCount > 0 && ms < 3000) || (expected !== null && seen() < expected && ms < 5000);
  };
  await new Promise((r) => setTimeout(r, 250));
  await w.sweep();
  while (waiting()) await new Promise((r) => setTimeout(r, 100));
}
