/**
 * Watches an output folder (src/dir-watch.ts: one fs.watch per folder) and reports each image once it is complete. Files present
 * before the start are not counted; subfolders created during the run are; `*.tmp`, dotfiles and
 * partial writes never count. The event time is the final file's mtime. A folder that does not
 * exist yet is waited for.
 */
import { EventEmitter } from 'node:events';
import { constants } from 'node:fs';
import { access, lstat, readdir, stat } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import { DirWatch } from './dir-watch.js';
import type { ImageEvent } from './batches.js';
import { checkCompleteFile, isImagePath, NotRegularFileError, type Completeness } from './image-complete.js';
import { readImageMeta } from './image-meta.js';
import { BLANK_ENTROPY_BITS } from './entropy.js';
import { EntropyPool, QUEUE_FULL } from './entropy-pool.js';
import pLimit, { type LimitFunction } from 'p-limit';
import { timelineNow, wallTimeOnTimeline } from '../../probes/timeline.js';

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

export interface WatcherOptions {
  /** A file of a format without an end marker counts once unchanged this long. Default 400 ms. */
  settleMs?: number;
  /** Give up on a file that stays incomplete this long (a writer that died). Default 10 s. */
  abandonMs?: number;
  /** How often to look for a folder that does not exist yet. Default 200 ms. */
  waitPollMs?: number;
  /** How often to check that the watched folder is still the same folder. Default 1 s. */
  rootCheckMs?: number;
  /** Read each image's embedded settings (default true). */
  readMeta?: boolean;
  /** Subfolders whose images are never counted (Forge's `*-grids`), by folder name. */
  ignoreFolder?: (name: string) => boolean;
  /** Decode each image for its entropy (blank images), in a worker (default true). */
  entropy?: boolean;
  now?: () => number;
}

/** Temp files and partial downloads that are never images yet. */
export function isIgnoredName(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('.') || n.endsWith('.tmp') || n.endsWith('.part') || n.endsWith('.partial') || n.endsWith('.crdownload') || n.endsWith('~');
}

/** How long before its first file event an image's content may have been written (a write, then a rename). */
const MTIME_BEFORE_SEEN_MS = 5000;
/** A file time this far outside the span genwatt knew the file is not used (clock steps; another clock). */
const FILE_TIME_SLACK_MS = 2000;

/**
 * Files open at once (checks and metadata reads): a storm of thousands of new files is looked at a
 * few at a time, so descriptors never run out (EMFILE) and the sampler keeps its pace.
 */
const OPEN_AT_ONCE = 8;
/** A metadata read refused for lack of descriptors (a low `ulimit -n`) is tried again this often. */
const NO_FD_RETRIES = 5;
const NO_FD_RETRY_MS = 200;

/** Counted names remembered to ignore late change events. */
const COUNTED_MEMORY = 5000;

/** What tells one write of a file from the next. */
interface FileFacts {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** Errors of a completeness read that leave the file to be judged by its size and time alone. */
const RETHROWN = new Set(['ENOENT', 'EACCES', 'EMFILE', 'ENFILE']);

interface Pending {
  firstSeenMs: number;
  /** Found by the last look (sweep), not by an event. */
  swept?: boolean;
  timer?: NodeJS.Timeout;
  lastSize?: number;
  lastMtimeMs?: number;
}

/**
 * Events: `complete` (ImageEvent, as soon as the file is known complete), `image` (ImageEvent, with
 * its metadata), `waiting` (dir), `ready`, `lost` (dir: it was removed or replaced; `ready` follows
 * once it is watched again), `note` (message), `error` (Error, the
 * watcher keeps going where it can).
 */
export class OutputWatcher extends EventEmitter {
  readonly dir: string;
  private readonly ignoreFolder: (name: string) => boolean;
  private watcher: DirWatch | undefined;
  private readonly preexisting = new Set<string>();
  /** When the files already there were listed: a later mtime means written again. */
  private snapshotMs = 0;
  /** Counted names → the write counted (a later write under the name is a new image). */
  private readonly counted = new Map<string, FileFacts>();
  /** Counted names being looked at again after an event (one look at a time per name). */
  private readonly relooking = new Set<string>();
  private saidRewrite = false;
  /** The newest mtime among counted names forgotten (bounded memory): a swept file no newer is not new. */
  private forgottenUpToMs = -Infinity;
  /** Counted files by identity (device, inode, mtime, size). */
  private readonly countedFiles = new Set<string>();
  /** Paths noted as not regular files (each noted once). */
  private readonly notRegular = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  /** A file time far from genwatt's clock was noted (once). */
  private clockNoted = false;
  private readonly opts: Required<Omit<WatcherOptions, 'now' | 'ignoreFolder' | 'entropy'>> & { now: () => number };
  private readonly decoder: EntropyPool | undefined;
  private readonly io: LimitFunction = pLimit(OPEN_AT_ONCE);
  /** Once per episode: descriptors ran out, or the decoder's queue was full. */
  private saidNoFd = false;
  private saidQueueFull = false;

  constructor(dir: string, opts: WatcherOptions = {}) {
    super();
    this.dir = resolve(dir);
    this.ignoreFolder = opts.ignoreFolder ?? (() => false);
    this.decoder = opts.entropy === false ? undefined : new EntropyPool(1000);
    this.opts = {
      settleMs: opts.settleMs ?? 400,
      abandonMs: opts.abandonMs ?? 10000,
      waitPollMs: opts.waitPollMs ?? 200,
      rootCheckMs: opts.rootCheckMs ?? 1000,
      readMeta: opts.readMeta ?? true,
      now: opts.now ?? timelineNow,
    };
  }

  /** Resolves once watching (after waiting for the folder if needed); rejects if unreadable. */
  async start(): Promise<void> {
    this.started = this.watchRoot(false);
    return this.started;
  }

  private started: Promise<void> | undefined;
  /** Ends the wait between two looks for a missing folder. */
  private wake: (() => void) | undefined;

  private async watchRoot(afterLoss: boolean): Promise<void> {
    let announced = false;
    // After the folder was removed, whatever the new one holds was written since: it all counts.
    let existedAtStart = !afterLoss;
    for (;;) {
      if (this.closed) return;
      try {
        const st = await stat(this.dir);
        if (!st.isDirectory()) throw new WatchFolderError(this.dir, 'it is a file, not a folder');
        break;
      } catch (err) {
        if (err instanceof WatchFolderError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR')
          throw new WatchFolderError(this.dir, code === 'EACCES' ? 'permission denied' : (err as Error).message, { cause: err });
        existedAtStart = false;
        if (!announced && !afterLoss) this.emit('waiting', this.dir);
        announced = true;
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, this.opts.waitPollMs);
        });
        this.wake = undefined;
      }
    }
    try {
      await access(this.dir, constants.R_OK | constants.X_OK);
      await readdir(this.dir);
    } catch (err) {
      throw new WatchFolderError(this.dir, 'folder is not readable (permission denied)', { cause: err });
    }
    // A folder that appeared after the start holds only this run's files.
    // Files already there are not this run's images (dir-watch lists them as `existing`).
    if (existedAtStart) this.snapshotMs = Date.now();
    const root = this.dir;
    const w = new DirWatch(root, { ignored: (rel) => rel !== '' && rel.split(sep).some((part) => isIgnoredName(part) || this.ignoreFolder(part)) });
    this.watcher = w;
    w.on('file', (p: string) => this.consider(p));
    w.on('existing', (p: string) => this.preexisting.add(p));
    // Found by the last look: an image already counted or there before the start is skipped unopened.
    w.on('swept', (p: string) => {
      if (!this.preexisting.has(p)) this.consider(p, true);
    });
    w.on('unlink', (p: string) => this.forget(p));
    w.on('note', (m: string) => this.emit('note', m));
    w.on('error', (err: Error) => this.emit('error', err));
    await w.start(!existedAtStart);
    this.rootIno = (await stat(root).catch(() => undefined))?.ino;
    // inotify keeps watching a removed folder's inode: notice removal (or replacement) and start over.
    this.rootTimer ??= setInterval(() => this.checkRoot().catch((err: unknown) => this.emit('error', err as Error)), this.opts.rootCheckMs);
    this.rootTimer.unref?.();
    this.emit('ready');
  }

  private rootIno: number | undefined;
  private rootTimer: NodeJS.Timeout | undefined;
  private rewatching = false;

  private async checkRoot(): Promise<void> {
    if (this.closed || this.rewatching || !this.watcher) return;
    const st = await stat(this.dir).catch(() => undefined);
    if (st?.isDirectory() && st.ino === this.rootIno) return;
    this.rewatching = true;
    this.emit('lost', this.dir);
    this.emit('note', `${this.dir} was removed${st ? ' and replaced' : ''}; watching for it again (images in the new folder count)`);
    const old = this.watcher;
    this.watcher = undefined;
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
    this.counted.clear();
    this.preexisting.clear();
    old.close();
    try {
      await this.watchRoot(true);
    } catch (err) {
      this.emit('error', err as Error);
    } finally {
      this.rewatching = false;
    }
  }

  private forget(p: string): void {
    const pend = this.pending.get(p);
    if (pend?.timer) clearTimeout(pend.timer);
    this.pending.delete(p);
  }

  private consider(p: string, swept = false): void {
    if (this.closed || !isImagePath(p) || isIgnoredName(basename(p))) return;
    if (this.counted.has(p)) {
      this.relook(p, swept);
      return;
    }
    let pend = this.pending.get(p);
    if (!pend) {
      pend = { firstSeenMs: this.opts.now(), ...(swept ? { swept } : {}) };
      this.pending.set(p, pend);
    } else if (swept) return; // already being checked
    this.checkSoon(p, pend);
  }

  /**
   * An event (or the last look) at a name already counted: the same write again (a late event) is
   * nothing; written again since (another inode, a newer mtime: a generator reusing its names in a
   * later run, a file rewritten each second) it is a new image. An mtime set back (`cp -p`) is not a write.
   */
  private relook(p: string, swept: boolean): void {
    if (this.relooking.has(p)) return;
    this.relooking.add(p);
    this.io(() => lstat(p))
      .then(
        (st) => {
          const before = this.counted.get(p);
          if (this.closed || !before || !st.isFile()) return;
          if (st.ino === before.ino && st.dev === before.dev && st.mtimeMs <= before.mtimeMs) return;
          this.counted.delete(p);
          if (!this.saidRewrite) {
            this.saidRewrite = true;
            this.emit('note', `${basename(p)} was written again after it was counted: each new write of a name is a new image`);
          }
          this.consider(p, swept);
        },
        () => undefined, // gone: an unlink event follows
      )
      .finally(() => this.relooking.delete(p))
      .catch((err: unknown) => this.emit('error', err as Error));
  }

  /** check() from an event or a timer: an error it did not expect is an `error` event, and the file is forgotten. */
  private checkSoon(p: string, pend: Pending): void {
    this.check(p, pend).catch((err: unknown) => {
      this.forget(p);
      this.emit('error', err as Error);
    });
  }

  private async check(p: string, pend: Pending): Promise<void> {
    if (pend.timer) clearTimeout(pend.timer);
    pend.timer = undefined;
    let verdict: Completeness;
    let st: FileFacts | undefined;
    try {
      // lstat, and the check opens only a regular file: a FIFO renamed over an image must never block a read.
      [st, verdict] = await this.io(async (): Promise<[FileFacts, Completeness]> => {
        const s = await lstat(p);
        if (!s.isFile()) throw new NotRegularFileError(p);
        try {
          // The identity is the one of the descriptor that was judged, not the lstat's (see checkCompleteFile).
          const f = await checkCompleteFile(p);
          return [f, f.verdict];
        } catch (err) {
          if (err instanceof NotRegularFileError || RETHROWN.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
          return [s, 'unknown'];
        }
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.forget(p); // renamed away or deleted
      if (err instanceof NotRegularFileError) {
        this.forget(p);
        if (!this.notRegular.has(p)) {
          if (this.notRegular.size > 10000) this.notRegular.clear();
          this.notRegular.add(p);
          this.emit('note', `${basename(p)} is not a regular file (a FIFO, socket, device or link): ignored, never read`);
        }
        return;
      }
      if (code === 'EACCES') {
        this.forget(p);
        this.emit('note', `cannot read ${p}: permission denied; not counted`);
        return;
      }
      if (code === 'EMFILE' || code === 'ENFILE') {
        if (!this.saidNoFd) this.emit('note', `too many open files (${code}): images are checked again shortly, none is lost`);
        this.saidNoFd = true;
        pend.timer = setTimeout(() => this.checkSoon(p, pend), NO_FD_RETRY_MS);
        return;
      }
      // Not even its size can be read (EIO, ESTALE…): looked at again, and given up on (said) like a file that stays incomplete.
      if (this.opts.now() - pend.firstSeenMs > this.opts.abandonMs) {
        this.forget(p);
        this.emit('note', `cannot look at ${p} (${code ?? (err as Error).message}) for ${Math.round(this.opts.abandonMs / 1000)} s: not counted`);
        return;
      }
      pend.timer = setTimeout(() => this.checkSoon(p, pend), this.opts.settleMs);
      return;
    }
    if (this.closed || this.counted.has(p) || this.pending.get(p) !== pend) return;
    // Found by the last look but no newer than a counted name forgotten since: counted long ago.
    if (st && pend.swept && st.mtimeMs <= this.forgottenUpToMs) return this.forget(p);
    // A file that was there before the start counts only once it is written again (sd-cli's
    // out_%03d.png, the demo generator: a repeated run overwrites the same names).
    if (st && this.preexisting.has(p)) {
      if (st.mtimeMs <= this.snapshotMs) return this.forget(p);
      this.preexisting.delete(p);
    }
    const now = this.opts.now();
    const stable = st !== undefined && st.size === pend.lastSize && st.mtimeMs === pend.lastMtimeMs;
    if (st) {
      pend.lastSize = st.size;
      pend.lastMtimeMs = st.mtimeMs;
    }
    if (st && (verdict === 'complete' || (verdict === 'unknown' && stable && st.size > 0))) {
      this.pending.delete(p);
      this.counted.set(p, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
      // The same file under a second name (a hard link) is one image.
      const id = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
      if (this.countedFiles.has(id)) return;
      this.countedFiles.add(id);
      if (this.countedFiles.size > COUNTED_MEMORY) this.countedFiles.delete(this.countedFiles.values().next().value!);
      this.countedTotal++;
      // Only recent names are needed to ignore late change events: keep the set bounded for `serve`.
      if (this.counted.size > COUNTED_MEMORY) {
        const [oldest, { mtimeMs }] = this.counted.entries().next().value!;
        this.counted.delete(oldest);
        this.forgottenUpToMs = Math.max(this.forgottenUpToMs, mtimeMs);
      }
      // The file's time is the wall clock's; the event is placed on genwatt's timeline by the file's
      // age, within the time genwatt has known the file (a clock step between the write and now, or
      // a writer on another clock, cannot put it before the image or after genwatt saw it).
      // Far outside that span the file time says nothing: the event is when genwatt saw the file.
      const placed = wallTimeOnTimeline(st.mtimeMs, now, pend.firstSeenMs - MTIME_BEFORE_SEEN_MS);
      const trusted = placed.offMs <= FILE_TIME_SLACK_MS;
      if (!trusted && !this.clockNoted) {
        this.clockNoted = true;
        this.emit(
          'note',
          `${basename(p)}: its file time is ${(placed.offMs / 1000).toFixed(1)} s away from genwatt's clock (a wall-clock step?): image times are taken from when genwatt saw each file`,
        );
      }
      const ev: ImageEvent = { path: p, bytes: st.size, mtimeMs: trusted ? placed.tMs : now, detectedMs: now };
      // Until its metadata and blank check are done the image is still on its way (pendingCount):
      // a run that ends meanwhile waits for it (the first decode also starts the worker).
      this.inFlight++;
      try {
        // The moment the file is known complete, before its metadata is read: the energy counter is read now.
        this.emit('complete', ev);
        if (this.opts.readMeta) {
          // What the image is (steps, sampler, size, model): a broken header costs the metadata, never the image.
          const m = await this.readMeta(p);
          if (Object.keys(m.meta).length) ev.meta = m.meta;
          if (m.note) this.emit('note', `${basename(p)}: metadata skipped: ${m.note}`);
          if (this.closed) return;
        }
        if (this.decoder) {
          // Off the main thread, bounded in size and time: unknown (null) rather than late.
          const e = await this.decoder.entropy(p);
          if (e.note === QUEUE_FULL && !this.saidQueueFull) {
            this.saidQueueFull = true;
            this.emit('note', `${QUEUE_FULL} (from ${basename(p)} on, while images arrive this fast)`);
          }
          ev.entropyBits = e.bits === null ? null : Math.round(e.bits * 1000) / 1000;
          if (e.bits !== null && e.bits < BLANK_ENTROPY_BITS) ev.blank = true;
          if (this.closed) return;
        }
      } finally {
        this.inFlight--;
      }
      this.emit('image', ev);
      return;
    }
    if (now - pend.firstSeenMs > this.opts.abandonMs && stable) {
      this.forget(p);
      this.emit('note', `${p} stayed incomplete for ${Math.round((now - pend.firstSeenMs) / 1000)} s; not counted`);
      return;
    }
    // Look again after a quiet period, in case no further change event comes.
    pend.timer = setTimeout(() => this.checkSoon(p, pend), this.opts.settleMs);
  }

  /** Embedded settings, a few files at a time; a read refused for lack of descriptors is tried again. */
  private async readMeta(p: string): Promise<Awaited<ReturnType<typeof readImageMeta>>> {
    for (let attempt = 0; ; attempt++) {
      const m = await this.io(() => readImageMeta(p));
      if (!m.note || !/: E[MN]FILE\b/.test(m.note) || attempt >= NO_FD_RETRIES || this.closed) return m;
      await new Promise((r) => setTimeout(r, NO_FD_RETRY_MS));
    }
  }

  /** Images counted so far. */
  get count(): number {
    return this.countedTotal;
  }

  private countedTotal = 0;

  /** Files still being written, complete ones whose metadata and blank check are not done yet, and counted names being looked at again. */
  get pendingCount(): number {
    return this.pending.size + this.inFlight + this.relooking.size;
  }

  private inFlight = 0;

  /**
   * A last look at the folder before the run ends: images whose events have not arrived yet are
   * checked now. Callers at the same moment (a child's exit and the session's end) share one look.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.lookOnceMore().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private sweeping: Promise<void> | undefined;

  private async lookOnceMore(): Promise<void> {
    // Still waiting for the folder to appear: look now (it may have appeared since the last look).
    if (!this.watcher && this.wake && !this.closed) {
      const st = await stat(this.dir).catch(() => undefined);
      if (st?.isDirectory()) {
        this.wake?.();
        await Promise.race([this.started?.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
        return; // a folder that appeared after the start: watching it reported every file in it
      }
    }
    await this.watcher?.sweep();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.rootTimer) clearInterval(this.rootTimer);
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
    this.watcher?.close();
    await this.decoder?.close();
  }
}
