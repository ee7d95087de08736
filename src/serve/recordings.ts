/**
 * `serve`'s recordings, on a rotation so no file grows without bound: one session file per run of
 * each watched folder (split at clock hours with `hour`, at `maxSegmentMs` with `run`), and with
 * `hour` one monitor file per clock hour holding every sample. Each file is a normal session
 * (crash-safe journal, then the final JSON). A file that cannot be finished (disk full) stays in a
 * retry list with its records in memory until the disk takes them: no finished session is lost.
 */
import { basename } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { Reading } from '../../probes/types.js';
import type { ImageEvent } from '../images/batches.js';
import type { IdleBaseline } from '../energy/image-rows.js';
import { defaultRecordPath, Recorder } from '../session/recorder.js';
import type { HeaderRecord, SegmentEndReason, SessionMode, SessionRecord } from '../session/types.js';
import type { Timeline } from '../measure/timeline.js';
import { SCALE_SPAN_MS } from '../energy/window-energy.js';
import { timelineNow } from '../../probes/timeline.js';

export type RotateMode = 'run' | 'hour';

export interface RecordingsOptions {
  dir: string;
  node: string;
  rotate: RotateMode;
  /** Longest a file may cover. */
  maxSegmentMs: number;
  header: (mode: SessionMode, outDir: string | null, startMs: number, warmupBatches: number, tags: Record<string, string>) => HeaderRecord;
  timeline: Timeline;
  /** The idle baseline, restricted to a folder's GPUs when one is given (its charged GPUs). */
  idle: (folder?: string | null) => IdleBaseline | undefined;
  log: (message: string) => void;
  onState: (s: { ok: boolean; failedNow?: boolean; lost?: number; finished?: boolean }) => void;
}

interface Segment {
  recorder: Recorder;
  /** The watched folder (null: the monitor file). */
  folder: string | null;
  label: string;
  openedMs: number;
  idleWritten: boolean;
}

/** A segment that has started but has no file yet (made at its first image). */
interface PendingSegment {
  startMs: number;
  warmupBatches: number;
  continued: boolean;
}

export class Recordings {
  private readonly folders = new Map<string, { pending?: PendingSegment; seg?: Segment }>();
  private monitor: Segment | undefined;
  private readonly finishing: Segment[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  /** Why recordings cannot be written now (null while they can). */
  failing: string | null = null;

  constructor(private readonly opts: RecordingsOptions) {
    this.retryTimer = setInterval(() => this.retrySoon(), 5000);
    this.retryTimer.unref?.();
  }

  private open(
    mode: SessionMode,
    outDir: string | null,
    startMs: number,
    warmupBatches: number,
    label: string,
    tags: Record<string, string>,
  ): Segment | undefined {
    const safe = label.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'x';
    const file = defaultRecordPath(this.opts.dir, `${this.opts.node.replace(/[^A-Za-z0-9._-]+/g, '_')}-${safe}`, new Date(startMs));
    let recorder: Recorder;
    try {
      recorder = new Recorder(file, { onWriteError: (err) => this.writeState(err, file), deferOpen: true, onNote: (m) => this.opts.log(m) });
    } catch (err) {
      this.writeState(err as Error, file);
      return undefined;
    }
    recorder.write(this.opts.header(mode, outDir, startMs, warmupBatches, tags), true);
    this.opts.log(`recording ${basename(file)}`);
    return { recorder, folder: outDir, label, openedMs: timelineNow(), idleWritten: false };
  }

  private writeState(err: Error | null, file: string): void {
    if (err && !this.failing) {
      this.failing = err.message;
      this.opts.log(`cannot write ${file}: ${err.message}; keeping records in memory and retrying`);
      this.opts.onState({ ok: false, failedNow: true });
    } else if (!err && this.failing) {
      this.failing = null;
      this.opts.log(`recording works again (${basename(file)})`);
      this.opts.onState({ ok: true });
    }
  }

  /** Starts the hourly monitor file (rotation `hour`). */
  startMonitor(nowMs: number): void {
    if (this.opts.rotate !== 'hour') return;
    this.monitor = this.open('monitor', null, nowMs, 0, 'monitor', { serve: this.opts.node });
    if (this.monitor) this.writeIdle(this.monitor);
  }

  private writeIdle(seg: Segment): void {
    const idle = this.opts.idle(seg.folder);
    if (idle && !seg.idleWritten) {
      seg.recorder.write({ type: 'idle', ...idle }, true);
      seg.idleWritten = true;
    }
  }

  private *open_(): Iterable<Segment> {
    if (this.monitor) yield this.monitor;
    for (const f of this.folders.values()) if (f.seg) yield f.seg;
  }

  /** Samples, gaps and notes of the node's session go to every open file. */
  listen(session: EventEmitter): void {
    session.on('record', (rec: SessionRecord) => {
      if (rec.type === 'sample' || rec.type === 'gap' || rec.type === 'note') for (const s of this.open_()) s.recorder.write(rec);
    });
  }

  /** The idle baseline became known: monitor files and open segments get it. */
  idleKnown(): void {
    for (const s of this.open_()) this.writeIdle(s);
  }

  segmentStart(folder: string, s: PendingSegment): void {
    this.folders.set(folder, { pending: s });
  }

  image(folder: string, ev: ImageEvent): void {
    const f = this.folders.get(folder);
    if (!f) return;
    if (!f.seg && f.pending) {
      const p = f.pending;
      f.seg = this.open('watch', folder, p.startMs, p.warmupBatches, basename(folder), {
        serve: this.opts.node,
        ...(p.continued ? { continued: 'true' } : {}),
      });
      f.pending = undefined;
      if (f.seg) {
        this.writeIdle(f.seg);
        this.backfill(f.seg, p.startMs);
      }
    }
    f.seg?.recorder.write({ type: 'image', ...ev }, true);
  }

  /** Samples the open window already has, so the file recomputes to the same rows. */
  private backfill(seg: Segment, fromMs: number): void {
    const from = fromMs - SCALE_SPAN_MS - 5000;
    const rows: Reading[] = [];
    for (const [deviceId, st] of this.opts.timeline.devices) for (const s of st.samples) if (s.tMs >= from) rows.push({ deviceId, ...s });
    rows.sort((a, b) => a.tMs - b.tMs);
    for (const r of rows) seg.recorder.write({ type: 'sample', ...r });
  }

  batch(folder: string, b: { batch: number; paths: string[] }): void {
    this.folders.get(folder)?.seg?.recorder.write({ type: 'batch', ...b }, true);
  }

  segmentEnd(folder: string, e: { endMs: number; reason: SegmentEndReason }): void {
    const f = this.folders.get(folder);
    if (!f) return;
    f.pending = undefined;
    const seg = f.seg;
    f.seg = undefined;
    if (seg) this.finish(seg, e.endMs, e.reason);
  }

  /** Segments open longer than the cap: the caller splits their runs. */
  overlong(nowMs: number): string[] {
    return [...this.folders.entries()].filter(([, f]) => f.seg && nowMs - f.seg.openedMs >= this.opts.maxSegmentMs).map(([k]) => k);
  }

  /** Clock hour boundary (rotation `hour`): a new monitor file. */
  rotateMonitor(nowMs: number): void {
    if (this.monitor) this.finish(this.monitor, nowMs, 'hourly rotation');
    this.monitor = undefined;
    this.startMonitor(nowMs);
  }

  private finish(seg: Segment, endMs: number, reason: SegmentEndReason): void {
    seg.recorder.write({ type: 'end', endMs, endedAt: new Date(endMs).toISOString(), exit: null, endReason: reason }, true);
    this.finishing.push(seg);
    this.retrySoon();
  }

  /** retry() from a timer: whatever it did not expect is logged, and the next timer tries again. */
  private retrySoon(): void {
    this.retry().catch((err: unknown) => this.opts.log(`finishing recordings failed: ${(err as Error).message}; trying again`));
  }

  private retrying = false;

  /** Finishes what can be finished; what the disk refuses stays for the next try. */
  async retry(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (const seg of [...this.finishing]) {
        if (!seg.recorder.flush()) continue;
        try {
          const c = await seg.recorder.finalizeFromJournal();
          this.finishing.splice(this.finishing.indexOf(seg), 1);
          this.opts.log(`recorded ${basename(seg.recorder.file)} (${c.summary.images} images)`);
          this.opts.onState({ ok: !this.failing, finished: true });
        } catch (err) {
          this.writeState(err as Error, seg.recorder.file);
        }
      }
    } finally {
      this.retrying = false;
    }
  }

  /** Shutdown: ends the monitor file and tries to finish everything once more. */
  async close(nowMs: number): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.monitor) this.finish(this.monitor, nowMs, 'stopped');
    this.monitor = undefined;
    for (const [k, f] of this.folders) if (f.seg) this.segmentEnd(k, { endMs: nowMs, reason: 'stopped' });
    while (this.retrying) await new Promise((r) => setTimeout(r, 20));
    await this.retry();
    for (const seg of this.finishing.splice(0)) {
      seg.recorder.close();
      this.opts.log(
        `could not finish ${basename(seg.recorder.file)}: its journal ${basename(seg.recorder.journal)} keeps what the disk took${seg.recorder.lostRecords ? ` (${seg.recorder.lostRecords} records lost)` : ''}`,
      );
      if (seg.recorder.lostRecords) this.opts.onState({ ok: false, lost: seg.recorder.lostRecords });
    }
  }
}
