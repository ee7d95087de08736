/**
 * Change events for the files of a folder tree, at a cost per event that does not grow with the
 * folder. One `fs.watch` (inotify / FSEvents / ReadDirectoryChangesW) per folder reports the name
 * that changed; only that path is looked at. (chokidar, measured here, re-reads and stats the whole
 * folder on every change: ~42 ms of CPU per image in a folder of 5,000 files, 8.5× the CPU of an
 * empty one — and ComfyUI keeps every image in one flat folder.) Subfolders that appear are watched
 * and their files reported; a watcher error (e.g. the kernel's event queue overflowed) rescans.
 *
 * Only real folders are entered: a symbolic link to a folder (`ln -s /usr out/x`, `ln -s . out/loop`)
 * is not followed, so a link can neither pull a system tree into the run nor count a file twice.
 * Symbolic links, FIFOs, sockets and devices are never reported as files; each is noted once.
 * What cannot be followed is said, never silently skipped: a name that is not valid UTF-8 (genwatt
 * could neither reopen nor print it), a folder deeper than `maxDepth`. Past the kernel's inotify
 * watch limit a folder is polled (its names listed every POLL_MS) instead of watched.
 *
 * Events: `file` (absolute path: created or changed), `existing` (a file already there at the start,
 * when those are not reported as new), `swept` (a file found by a last look), `unlink` (absolute path), `note` (message), `error` (Error).
 */
import { EventEmitter } from 'node:events';
import { watch } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { kindOf } from './image-file.js';
import { join, relative, sep } from 'node:path';

export interface DirWatchOptions {
  /** Paths (relative to the root, any depth) never reported or entered. */
  ignored: (relPath: string) => boolean;
  /** Subfolder depth followed (default 20). */
  maxDepth?: number;
}

/** How often a folder that could not be given an inotify watch is listed. */
export const POLL_MS = 1000;
const DEFAULT_MAX_DEPTH = 20;

/** A name as the kernel gave it: its text, or null when the bytes are not valid UTF-8. */
function nameText(raw: Buffer): string | null {
  const text = raw.toString('utf8');
  return Buffer.from(text, 'utf8').equals(raw) ? text : null;
}

/** DirWatch's events and their payloads (paths absolute). */
export interface DirWatchEvents {
  file: [path: string];
  existing: [path: string];
  swept: [path: string];
  unlink: [path: string];
  note: [message: string];
  error: [err: Error];
}

export class DirWatch extends EventEmitter<DirWatchEvents> {
  /** Watched (or polled) folders; closing one stops it. */
  private readonly watchers = new Map<string, { close(): void }>();
  private closed = false;
  /** Paths already noted as not followed / not a file (each noted once). */
  private readonly noted = new Set<string>();

  constructor(
    readonly root: string,
    private readonly opts: DirWatchOptions,
  ) {
    super();
  }

  /**
   * Watches the tree. With `reportExisting`, files already there are reported as `file` (a folder
   * that appeared after the start holds only new files); otherwise they are not.
   */
  async start(reportExisting: boolean): Promise<void> {
    await this.addDir(this.root, 0, reportExisting);
  }

  private depthOf(dir: string): number {
    const rel = relative(this.root, dir);
    return rel === '' ? 0 : rel.split(sep).length;
  }

  /** `swept`: found by sweep(), reported as `swept` rather than `file`. */
  private async addDir(dir: string, depth: number, report: boolean | 'swept'): Promise<void> {
    if (this.closed || this.watchers.has(dir)) return;
    const maxDepth = this.opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (depth > maxDepth) return this.sayOnce(dir, `${dir} is more than ${maxDepth} folders deep: not watched, its images are not counted`);
    try {
      const w = watch(dir, { persistent: true, encoding: 'buffer' }, (_event, name) => {
        if (name === null || name === undefined) this.background(this.rescan(dir));
        else this.background(this.onRawName(dir, name));
      });
      w.on('error', (err) => {
        this.emit('error', err);
        this.background(this.rescan(dir));
      });
      this.watchers.set(dir, w);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'EACCES' || code === 'EPERM')
        return this.sayOnce(`unreadable:${dir}`, `cannot read the folder ${dir} (${code}): its images are not counted`);
      if (code !== 'ENOSPC' && code !== 'EMFILE') {
        this.emit('error', err as Error);
        return;
      }
      // No inotify watch left (fs.inotify.max_user_watches, or instances): this folder is listed instead.
      this.sayOnce(dir, `${dir}: no inotify watch left (${code}: the system's fs.inotify limit): polled every ${POLL_MS / 1000} s instead`);
      this.watchers.set(dir, this.poller(dir));
    }
    // Read after watching, so nothing written in between is missed.
    await this.scan(dir, depth, report);
  }

  /** Lists a folder every POLL_MS; a name that appeared or went is handled as a watch event would be. */
  private poller(dir: string): { close(): void } {
    let known: Set<string> | undefined;
    let busy = false;
    const tick = async () => {
      const names = await readdir(dir, { encoding: 'buffer' }).catch(() => undefined);
      if (!names || this.closed) return;
      const now = new Set(names.map((n) => n.toString('latin1')));
      if (known) {
        for (const n of names) if (!known.has(n.toString('latin1'))) await this.onRawName(dir, n);
        for (const k of known) if (!now.has(k)) await this.onRawName(dir, Buffer.from(k, 'latin1'));
      }
      known = now;
    };
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.background(tick().finally(() => (busy = false)));
    }, POLL_MS);
    timer.unref?.();
    this.background(tick());
    return { close: () => clearInterval(timer) };
  }

  private async scan(dir: string, depth: number, report: boolean | 'swept'): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Gone again is nothing to say; a folder that cannot be read hides its images: said once.
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        this.sayOnce(`unreadable:${dir}`, `cannot read the folder ${dir} (${code ?? (err as Error).message}): its images are not counted`);
      return;
    }
    for (const e of entries) {
      const name = nameText(e.name);
      if (name === null) {
        this.badName(dir, e.name);
        continue;
      }
      const full = join(dir, name);
      if (this.opts.ignored(relative(this.root, full))) continue;
      if (e.isDirectory()) await this.addDir(full, depth + 1, report);
      else if (e.isFile()) this.emit(report === 'swept' ? 'swept' : report ? 'file' : 'existing', full);
      else this.noteOnce(full, e);
    }
  }

  /** Says once that a path is skipped (a link not followed, a FIFO, socket or device). */
  private noteOnce(full: string, st: Parameters<typeof kindOf>[0]): void {
    const kind = kindOf(st);
    this.sayOnce(
      full,
      kind === 'a symbolic link'
        ? `${full} is a symbolic link: not followed (only files and folders really in the watched folder count)`
        : `${full} is ${kind}: ignored`,
    );
  }

  private sayOnce(key: string, message: string): void {
    if (this.noted.has(key)) return;
    if (this.noted.size > 10000) this.noted.clear();
    this.noted.add(key);
    this.emit('note', message);
  }

  /** A name that is not valid UTF-8: shown with its bad bytes replaced (the sanitiser prints it), never counted. */
  private badName(dir: string, raw: Buffer): void {
    const shown = join(dir, raw.toString('utf8'));
    this.sayOnce(
      `bad:${dir}/${raw.toString('hex')}`,
      `${shown}: its name is not valid UTF-8 (shown with \ufffd): not counted, genwatt cannot reopen or print it`,
    );
  }

  private async onRawName(dir: string, raw: Buffer): Promise<void> {
    const name = nameText(raw);
    if (name === null) {
      // Gone again (renamed away) needs no note.
      if (await lstat(Buffer.concat([Buffer.from(`${dir}${sep}`), raw])).catch(() => null)) this.badName(dir, raw);
      return;
    }
    await this.onName(dir, name);
  }

  /** The kernel lost events (or gave no name): report every file of the folder; duplicates are harmless. */
  /** A look started from an fs event: what it could not do is an `error` event, never an unhandled rejection. */
  private background(p: Promise<void>): void {
    p.catch((err: unknown) => this.emit('error', err as Error));
  }

  private async rescan(dir: string): Promise<void> {
    if (!this.closed) await this.scan(dir, this.depthOf(dir), true);
  }

  /**
   * A last look before closing: every file of every watched folder reported as `swept` (a busy
   * machine can deliver the kernel's events after the run ends); the caller skips what it knows.
   */
  async sweep(): Promise<void> {
    for (const dir of [...this.watchers.keys()]) if (!this.closed) await this.scan(dir, this.depthOf(dir), 'swept');
  }

  private async onName(dir: string, name: string): Promise<void> {
    if (this.closed) return;
    const full = join(dir, name);
    if (this.opts.ignored(relative(this.root, full))) return;
    let st;
    try {
      st = await lstat(full);
    } catch {
      const sub = this.watchers.get(full);
      if (sub) {
        sub.close();
        this.watchers.delete(full);
      }
      this.emit('unlink', full);
      return;
    }
    if (st.isDirectory()) await this.addDir(full, this.depthOf(full), true);
    else if (st.isFile()) this.emit('file', full);
    else this.noteOnce(full, st);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
