/** The output watcher of a measured run, wired to the session's hooks. */
import { existsSync } from 'node:fs';
import type { ImageEvent } from '../images/batches.js';
import type { OutputWatcher } from '../images/watcher.js';
import type { MeasureConfig } from './measure-config.js';
import { timelineNow } from '../../probes/timeline.js';

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
  const w = new OutputWatcher(dir, {
    entropy: config.blankCheck === false ? false : config.entropyAll ? 'all' : true,
    ...(config.backend?.kind === 'forge' ? { ignoreFolder: (name: string) => /-grids$/.test(name) } : {}),
  });
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

/** Waiting for files still being checked ends once none was finished for this long... */
const SETTLE_IDLE_MS = 3000;
/** ...or after this long in all (a storm of thousands of files is checked a few at a time). */
const SETTLE_MAX_MS = 120_000;

/**
 * Takes a last look at the folder (files whose events are late: a busy machine can deliver the
 * kernel's events after the run ends), then lets files still being written or checked finish while
 * they do (3 s without progress ends the wait). Returns how many were left unfinished.
 */
export async function settleWatcher(w: OutputWatcher): Promise<number> {
  const t0 = timelineNow();
  await new Promise((r) => setTimeout(r, 250));
  await w.sweep();
  let left = w.pendingCount;
  let progressMs = timelineNow();
  while (w.pendingCount > 0 && timelineNow() - progressMs < SETTLE_IDLE_MS && timelineNow() - t0 < SETTLE_MAX_MS) {
    await new Promise((r) => setTimeout(r, 100));
    if (w.pendingCount < left) progressMs = timelineNow();
    left = w.pendingCount;
  }
  return w.pendingCount;
}
