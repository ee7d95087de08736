/** Waiting for an output folder to exist (a generator often makes it when it saves its first image), and checking that it can be read. */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';

export class WatchFolderError extends Error {
  readonly unreadable = true;
  constructor(
    readonly dir: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot watch ${dir}: ${detail}`, options);
  }
}

export interface FolderWaitHooks {
  pollMs: number;
  /** Stop waiting (the watcher closed). */
  closed: () => boolean;
  /** Said once, when the folder is not there at the first look. */
  waiting: () => void;
  /** Called with a function that ends the current pause between two looks early (a last look before a run ends). */
  wakeWith: (wake: (() => void) | undefined) => void;
}

/**
 * Resolves once `dir` is a readable folder: true when it was there at the first look, false when it
 * appeared later, null when the wait was closed. A file where the folder should be, or a folder that
 * cannot be read, is a WatchFolderError.
 */
export async function waitForFolder(dir: string, h: FolderWaitHooks): Promise<boolean | null> {
  let thereAtFirst = true;
  for (;;) {
    if (h.closed()) return null;
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw new WatchFolderError(dir, 'it is a file, not a folder');
      break;
    } catch (err) {
      if (err instanceof WatchFolderError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw new WatchFolderError(dir, code === 'EACCES' ? 'permission denied' : (err as Error).message, { cause: err });
      if (thereAtFirst) h.waiting();
      thereAtFirst = false;
      await new Promise<void>((r) => {
        h.wakeWith(r);
        setTimeout(r, h.pollMs);
      });
      h.wakeWith(undefined);
    }
  }
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    await readdir(dir);
  } catch (err) {
    throw new WatchFolderError(dir, 'folder is not readable (permission denied)', { cause: err });
  }
  return thereAtFirst;
}
