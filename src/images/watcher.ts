/**
 * Watches an output folder (dir-watch.ts: one fs.watch per folder) and reports each image once it is
 * complete, with its settings and blank check. Files there before the start count only when written
 * again; subfolders made during the run count; temp names and partial writes never count. A missing
 * folder is waited for; one removed or replaced is watched again.
 */
import { EventEmitter } from 'node:events';
import { lstat, stat } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import { DirWatch } from './dir-watch.js';
import { waitForFolder } from './folder-wait.js';
import type { ImageEvent } from './batches.js';
import { checkCompleteFile, isIgnoredName, isImagePath, NotRegularFileError, type Completeness } from './image-complete.js';
import { CountedImages, type FileFacts } from './counted-images.js';
import { ImageDetails, NO_FD_RETRY_MS } from './image-details.js';
import pLimit, { type LimitFunction } from 'p-limit';
import { timelineNow } from '../../probes/timeline.js';
import { imageTime } from './image-time.js';

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
  /** Decode images for their entropy (blank images; default true), in a worker; `all`: every one, not only those small enough to be blank. */
  entropy?: boolean | 'all';
  now?: () => number;
}

/**
 * Files open at once (checks and metadata reads): a storm of thousands of new files is looked at a
 * few at a time, so descriptors never run out (EMFILE) and the sampler keeps its pace.
 */
const OPEN_AT_ONCE = 8;

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
 * `complete` as soon as the file is known complete, `image` with its metadata; `lost`: the folder was
 * removed or replaced (`ready` follows once it is watched again); after `error` the watcher goes on where it can.
 */
export interface OutputWatcherEvents {
  complete: [ev: ImageEvent];
  image: [ev: ImageEvent];
  waiting: [dir: string];
  ready: [];
  lost: [dir: string];
  note: [message: string];
  error: [err: Error];
}

export class OutputWatcher extends EventEmitter<OutputWatcherEvents> {
  readonly dir: string;
  private readonly ignoreFolder: (name: string) => boolean;
  private watcher: DirWatch | undefined;
  private readonly preexisting = new Set<string>();
  /** When the files already there were listed: a later mtime means written again. */
  private snapshotMs = 0;
  private readonly counted = new CountedImages();
  /** Counted names being looked at again after an event (one look at a time per name). */
  private readonly relooking = new Set<string>();
  private saidRewrite = false;
  /** Paths noted as not regular files (each noted once). */
  private readonly notRegular = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  /** A file time far from genwatt's clock was noted (once). */
  private clockNoted = false;
  private readonly opts: Required<Omit<WatcherOptions, 'now' | 'ignoreFolder' | 'entropy'>> & { now: () => number };
  private readonly io: LimitFunction = pLimit(OPEN_AT_ONCE);
  private readonly details: ImageDetails;
  /** Once per episode: descriptors ran out. */
  private saidNoFd = false;

  constructor(dir: string, opts: WatcherOptions = {}) {
    super();
    this.dir = resolve(dir);
    this.ignoreFolder = opts.ignoreFolder ?? (() => false);
    this.opts = {
      settleMs: opts.settleMs ?? 400,
      abandonMs: opts.abandonMs ?? 10000,
      waitPollMs: opts.waitPollMs ?? 200,
      rootCheckMs: opts.rootCheckMs ?? 1000,
      readMeta: opts.readMeta ?? true,
      now: opts.now ?? timelineNow,
    };
    this.details = new ImageDetails({
      io: this.io,
      readMeta: this.opts.readMeta,
      entropy: opts.entropy !== false,
      entropyAll: opts.entropy === 'all',
      closed: () => this.closed,
      note: (m) => this.emit('note', m),
    });
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
    const thereAtFirst = await waitForFolder(this.dir, {
      pollMs: this.opts.waitPollMs,
      closed: () => this.closed,
      // After the folder was removed, waiting for it again is not news (`lost` said it).
      waiting: () => void (afterLoss || this.emit('waiting', this.dir)),
      wakeWith: (w) => (this.wake = w),
    });
    if (thereAtFirst === null) return;
    // After the folder was removed, whatever the new one holds was written since: it all counts.
    const existedAtStart = thereAtFirst && !afterLoss;
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
          this.counted.release(p);
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
    const looked = await this.look(p, pend);
    if (!looked) return;
    const { st, verdict } = looked;
    if (this.closed || this.counted.has(p) || this.pending.get(p) !== pend) return;
    // Found by the last look but no newer than a counted name forgotten since: counted long ago.
    if (pend.swept && st.mtimeMs <= this.counted.forgottenUpToMs) return this.forget(p);
    // A file that was there before the start counts only once it is written again (sd-cli's
    // out_%03d.png, the demo generator: a repeated run overwrites the same names).
    if (this.preexisting.has(p)) {
      if (st.mtimeMs <= this.snapshotMs) return this.forget(p);
      this.preexisting.delete(p);
    }
    const now = this.opts.now();
    const stable = st.size === pend.lastSize && st.mtimeMs === pend.lastMtimeMs;
    pend.lastSize = st.size;
    pend.lastMtimeMs = st.mtimeMs;
    if (verdict === 'complete' || (verdict === 'unknown' && stable && st.size > 0)) {
      this.pending.delete(p);
      // The same file under a second name (a hard link) is one image.
      if (this.counted.add(p, st)) await this.announce(this.eventOf(p, st, pend, now));
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

  /** The file's identity and whether it is complete; null when the look failed (said, retried or forgotten). */
  private async look(p: string, pend: Pending): Promise<{ st: FileFacts; verdict: Completeness } | null> {
    try {
      // lstat, and the check opens only a regular file: a FIFO renamed over an image must never block a read.
      return await this.io(async () => {
        const s = await lstat(p);
        if (!s.isFile()) throw new NotRegularFileError(p);
        try {
          // The identity is the one of the descriptor that was judged, not the lstat's (see checkCompleteFile).
          const f = await checkCompleteFile(p);
          return { st: f, verdict: f.verdict };
        } catch (err) {
          if (err instanceof NotRegularFileError || RETHROWN.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
          return { st: s, verdict: 'unknown' as const };
        }
      });
    } catch (err) {
      this.lookFailed(p, pend, err as NodeJS.ErrnoException);
      return null;
    }
  }

  private lookFailed(p: string, pend: Pending, err: NodeJS.ErrnoException): void {
    const code = err.code;
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
      this.emit('note', `cannot look at ${p} (${code ?? err.message}) for ${Math.round(this.opts.abandonMs / 1000)} s: not counted`);
      return;
    }
    pend.timer = setTimeout(() => this.checkSoon(p, pend), this.opts.settleMs);
  }

  /** The image's event, placed on the timeline by its file time where that can be trusted (image-time.ts). */
  private eventOf(p: string, st: FileFacts, pend: Pending, now: number): ImageEvent {
    const t = imageTime(st.mtimeMs, now, pend.firstSeenMs);
    if (!t.trusted && !this.clockNoted) {
      this.clockNoted = true;
      this.emit(
        'note',
        `${basename(p)}: its file time is ${(t.offMs / 1000).toFixed(1)} s away from genwatt's clock (a wall-clock step?): image times are taken from when genwatt saw each file`,
      );
    }
    return { path: p, bytes: st.size, mtimeMs: t.tMs, detectedMs: now };
  }

  /** `complete` at once (the energy counter is read now), `image` once its settings and blank check are read. */
  private async announce(ev: ImageEvent): Promise<void> {
    // Until its metadata and blank check are done the image is still on its way (pendingCount):
    // a run that ends meanwhile waits for it (the first decode also starts the worker).
    this.inFlight++;
    try {
      this.emit('complete', ev);
      if (!(await this.details.fill(ev))) return;
    } finally {
      this.inFlight--;
    }
    this.emit('image', ev);
  }

  /** Images counted so far. */
  get count(): number {
    return this.counted.total;
  }

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
    await this.details.close();
  }
}
