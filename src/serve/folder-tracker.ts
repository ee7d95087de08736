/**
 * One watched output folder of `genwatt serve`: images → batches → per-image rows, as in `watch`,
 * but for a node that runs for days. Images closer together than `runGapMs` form a run; the first
 * batch of a run is its warm-up (model load), and its window opens at most `runGapMs` before it, so
 * hours of idle before a run are never charged to its first image. A run is recorded in segments:
 * `split()` (hour boundary, length cap) closes the open batch and continues in a new segment whose
 * window starts where the last batch ended, so a recording recomputes to the same rows.
 *
 * Events: `segment-start` (SegmentStart), `image` (ImageEvent), `batch` ({batch, paths}),
 * `rows` (ImageRow[]), `segment-end` ({endMs, reason}), `note` (message), `waiting`, `ready`, `lost` (the folder went).
 */
import { EventEmitter } from 'node:events';
import { BatchAssembler, type ImageEvent } from '../images/batches.js';
import { batchRows, type DeviceSeries, type IdleBaseline, type ImageRow } from '../energy/image-rows.js';
import { counterSettled } from '../energy/window-energy.js';
import { OutputWatcher } from '../images/watcher.js';
import { timelineNow } from '../../probes/timeline.js';
import type { SegmentEndReason } from '../session/types.js';

export interface FolderTrackerOptions {
  runGapMs: number;
  batchGapMs: number | null;
  warmupBatches: number;
  gapLimitMs: number;
  series: () => DeviceSeries[];
  idle: () => IdleBaseline | undefined;
  now?: () => number;
  /** Decode each image for its entropy (blank images); default true. */
  blankCheck?: boolean;
}

export interface SegmentStart {
  /** Where the segment's first image window opens, epoch ms. */
  startMs: number;
  /** Warm-up batches at the segment's start: the configured number for a new run, 0 when continuing one. */
  warmupBatches: number;
  continued: boolean;
}

export interface FolderTrackerEvents {
  'segment-start': [s: SegmentStart];
  complete: [ev: ImageEvent];
  image: [ev: ImageEvent];
  batch: [b: { batch: number; paths: string[] }];
  rows: [rows: ImageRow[]];
  'segment-end': [e: { endMs: number; reason: SegmentEndReason }];
  note: [message: string];
  waiting: [dir: string];
  ready: [];
  lost: [];
}

export class FolderTracker extends EventEmitter<FolderTrackerEvents> {
  readonly watcher: OutputWatcher;
  /** Images counted since start. */
  images = 0;
  /** The folder exists and is watched. */
  ready = false;
  private batches: BatchAssembler | undefined;
  private windowStartMs = 0;
  private lastImageMs = -Infinity;
  private lastBatchEndMs = -Infinity;
  private segmentImages = 0;
  private warmupBatches = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly startedMs: number;
  /** Closed batches whose rows wait for the energy counter's next read (rows come out in order). */
  private readonly waiting: { batch: ImageEvent[]; startMs: number; warmupBatches: number }[] = [];

  constructor(
    readonly dir: string,
    private readonly opts: FolderTrackerOptions,
  ) {
    super();
    this.now = opts.now ?? timelineNow;
    this.startedMs = this.now();
    this.watcher = new OutputWatcher(dir, { entropy: opts.blankCheck !== false });
    this.watcher.on('complete', (ev: ImageEvent) => this.emit('complete', ev));
    this.watcher.on('image', (ev: ImageEvent) => this.onImage(ev));
    this.watcher.on('note', (m: string) => this.emit('note', m));
    this.watcher.on('error', (err: Error) => this.emit('note', err.message));
    this.watcher.on('waiting', (d: string) => {
      this.ready = false;
      this.emit('waiting', d);
    });
    this.watcher.on('ready', () => {
      this.ready = true;
      this.emit('ready');
    });
    this.watcher.on('lost', () => {
      this.ready = false;
      this.emit('lost');
    });
  }

  /** Starts watching (waits for a missing folder in the background). */
  start(): void {
    this.watcher.start().catch((err: Error) => this.emit('note', err.message));
    this.timer = setInterval(() => this.tick(), 100);
  }

  /** True while a run is open (images came within the run gap). */
  get inRun(): boolean {
    return this.batches !== undefined;
  }

  /** Oldest time an open window still needs samples from (for trimming the timeline). */
  get needsSamplesFromMs(): number {
    return this.batches ? this.windowStartMs : this.now() - this.opts.runGapMs;
  }

  private onImage(ev: ImageEvent): void {
    this.images++;
    if (!this.batches) this.beginSegment(Math.max(this.startedMs, this.lastBatchEndMs, ev.mtimeMs - this.opts.runGapMs), this.opts.warmupBatches, false);
    this.lastImageMs = Math.max(this.lastImageMs, ev.mtimeMs);
    this.segmentImages++;
    this.emit('image', ev);
    const closed = this.batches!.add(ev);
    if (closed) this.closeBatch(closed);
  }

  private beginSegment(startMs: number, warmupBatches: number, continued: boolean): void {
    this.batches = new BatchAssembler(this.opts.batchGapMs ?? undefined, startMs);
    this.windowStartMs = startMs;
    this.warmupBatches = warmupBatches;
    this.segmentImages = 0;
    const s: SegmentStart = { startMs, warmupBatches, continued };
    this.emit('segment-start', s);
  }

  private closeBatch(batch: ImageEvent[]): void {
    this.waiting.push({ batch, startMs: this.windowStartMs, warmupBatches: this.warmupBatches });
    this.windowStartMs = Math.max(...batch.map((e) => e.mtimeMs));
    this.lastBatchEndMs = this.windowStartMs;
    this.emit('batch', { batch: batch[0].batch!, paths: batch.map((e) => e.path) });
    this.emitRows(false);
  }

  /**
   * Rows of the closed batches whose windows every GPU's counter has settled (window-energy.ts
   * counterSettled: its read after the window, where one is read, so the figure equals what the
   * recording recomputes to); `all`: every one now (a segment ends).
   */
  private emitRows(all: boolean): void {
    if (!this.waiting.length) return;
    const series = this.opts.series();
    while (this.waiting.length) {
      const w = this.waiting[0];
      const endMs = Math.max(...w.batch.map((e) => e.mtimeMs));
      if (!all && !series.every((s) => s.meter !== undefined || s.host || counterSettled(s.samples, endMs))) return;
      this.waiting.shift();
      const rows = batchRows(w.batch, w.batch[0].batch!, 0, w.startMs, series, this.opts.idle(), {
        gapLimitMs: this.opts.gapLimitMs,
        warmupBatches: w.warmupBatches,
      });
      this.emit('rows', rows);
    }
  }

  private endSegment(reason: SegmentEndReason): void {
    if (!this.batches) return;
    const last = this.batches.flush();
    if (last) this.closeBatch(last);
    this.emitRows(true);
    this.batches = undefined;
    this.emit('segment-end', { endMs: Math.max(this.lastBatchEndMs, this.windowStartMs), reason });
  }

  private tick(): void {
    this.emitRows(false);
    if (!this.batches) return;
    const closed = this.batches.flushIfQuiet(this.now());
    if (closed) this.closeBatch(closed);
    if (this.now() - this.lastImageMs > this.opts.runGapMs) this.endSegment('run ended (no image for the run gap)');
  }

  /** Closes the open segment and continues the run in a new one (rotation). */
  split(reason: SegmentEndReason): void {
    if (!this.batches || this.segmentImages === 0) return;
    this.endSegment(reason);
    this.beginSegment(this.windowStartMs, 0, true);
  }

  async close(reason: SegmentEndReason = 'stopped'): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.watcher.close();
    this.endSegment(reason);
  }
}
