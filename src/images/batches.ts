import type { ImageMeta } from './image-meta.js';

/**
 * Grouping image events into batches (pure). Files of one generation arrive within ~0.1 s
 * (turbo-batch2 on the H100: 770 J, then 12 J per file if taken naively), so they share one window.
 */

/** An image file that became complete in the watched folder. */
export interface ImageEvent {
  path: string;
  /** File size when complete. */
  bytes?: number;
  /** The final file's mtime, epoch ms: the event time. */
  mtimeMs: number;
  /** When genwatt noticed it, epoch ms (latency diagnostics only). */
  detectedMs?: number;
  /** Batch number, assigned when the batch closes. */
  batch?: number;
  /** Settings embedded in the image (steps, sampler, seed, size, model), when it has any. */
  meta?: ImageMeta;
  /** Luminance entropy, bits per pixel (0–8); null: not decoded (format, size, time). */
  entropyBits?: number | null;
  /** Entropy below BLANK_ENTROPY_BITS: a black or uniform image (left out of the steady means). */
  blank?: boolean;
}

/** Gap used before any batch interval is known. */
export const DEFAULT_BATCH_GAP_MS = 300;

/**
 * The largest mtime gap that still joins the previous file's batch: a quarter of the median
 * interval between the last ten batches, within [80, 1500] ms; 300 ms until two batches are known.
 */
export function autoBatchGapMs(batchEndsMs: readonly number[]): number {
  if (batchEndsMs.length < 2) return DEFAULT_BATCH_GAP_MS;
  const recent = batchEndsMs.slice(-11);
  const gaps: number[] = [];
  for (let i = 1; i < recent.length; i++) gaps.push(recent[i] - recent[i - 1]);
  gaps.sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  return Math.min(1500, Math.max(80, median / 4));
}

/**
 * Online batch assembler. `add` events in arrival order; a batch closes when a later file is
 * further than the gap from its last file, or on `flushIfQuiet`/`flush`.
 */
export class BatchAssembler {
  private pending: ImageEvent[] = [];
  private ends: number[] = [];
  private next = 0;
  private lastEndMs: number | undefined;

  /**
   * @param fixedGapMs a fixed gap, or undefined for {@link autoBatchGapMs}.
   * @param windowStartMs the run start: where the first batch's window opens.
   */
  constructor(
    private readonly fixedGapMs?: number,
    windowStartMs?: number,
  ) {
    this.lastEndMs = windowStartMs;
  }

  /**
   * The gap that still joins the pending batch. Automatic: also at most a quarter of the time from
   * the previous batch's end to the pending batch's first file, so a generator that saves an image
   * every 200 ms is never taken for one endless batch.
   */
  gapMs(): number {
    if (this.fixedGapMs !== undefined) return this.fixedGapMs;
    const auto = autoBatchGapMs(this.ends);
    if (this.lastEndMs === undefined || this.pending.length === 0) return auto;
    const first = Math.min(...this.pending.map((e) => e.mtimeMs));
    return Math.min(auto, Math.max(0, first - this.lastEndMs) / 4);
  }

  /**
   * Automatic batches only: a batch's saves never take longer than what came before its first file
   * (the compute, and for the first batch the start-up). Without this, a generator that saves an
   * image every 200 ms after a slow start (a loaded machine, a model load) made one endless first
   * batch: the 300 ms default gap joined every file and no image was ever reported.
   */
  private outgrows(ev: ImageEvent): boolean {
    if (this.fixedGapMs !== undefined || this.lastEndMs === undefined || this.pending.length === 0) return false;
    const first = Math.min(...this.pending.map((e) => e.mtimeMs));
    return ev.mtimeMs - first > first - this.lastEndMs;
  }

  /** Adds an event; returns the batch it closed, if any. */
  add(ev: ImageEvent): ImageEvent[] | undefined {
    let closed: ImageEvent[] | undefined;
    if (this.pending.length > 0) {
      const last = Math.max(...this.pending.map((e) => e.mtimeMs));
      if (ev.mtimeMs - last > this.gapMs() || this.outgrows(ev)) closed = this.flush();
    }
    this.pending.push(ev);
    return closed;
  }

  /** Closes the pending batch when no file can still join it (now is past last mtime + gap + slack). */
  flushIfQuiet(nowMs: number, slackMs = 150): ImageEvent[] | undefined {
    if (this.pending.length === 0) return undefined;
    const last = Math.max(...this.pending.map((e) => e.mtimeMs));
    return nowMs - last > this.gapMs() + slackMs ? this.flush() : undefined;
  }

  /** Closes the pending batch now. */
  flush(): ImageEvent[] | undefined {
    if (this.pending.length === 0) return undefined;
    const batch = this.pending.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
    this.pending = [];
    const n = this.next++;
    for (const e of batch) e.batch = n;
    this.ends.push(batch[batch.length - 1].mtimeMs);
    if (this.ends.length > 50) this.ends.splice(0, this.ends.length - 20); // only the last 11 are used
    this.lastEndMs = batch[batch.length - 1].mtimeMs;
    return batch;
  }

  /** Closes `events` as one batch (a server request's images), after the pending batch if any. */
  group(events: ImageEvent[]): ImageEvent[][] {
    const out: ImageEvent[][] = [];
    const before = this.flush();
    if (before) out.push(before);
    this.pending = [...events];
    const b = this.flush();
    if (b) out.push(b);
    return out;
  }

  pendingCount(): number {
    return this.pending.length;
  }
}

/** Offline grouping with the same rule, for events that have no recorded batch number. */
export function groupIntoBatches(events: readonly ImageEvent[], fixedGapMs?: number, windowStartMs?: number): ImageEvent[][] {
  const sorted = [...events].sort((a, b) => a.mtimeMs - b.mtimeMs);
  if (sorted.every((e) => e.batch !== undefined)) {
    const by = new Map<number, ImageEvent[]>();
    for (const e of sorted) by.set(e.batch!, [...(by.get(e.batch!) ?? []), e]);
    return [...by.keys()].sort((a, b) => a - b).map((k) => by.get(k)!);
  }
  const asm = new BatchAssembler(fixedGapMs, windowStartMs);
  const out: ImageEvent[][] = [];
  for (const e of sorted.map((x) => ({ ...x }))) {
    const closed = asm.add(e);
    if (closed) out.push(closed);
  }
  const last = asm.flush();
  if (last) out.push(last);
  return out;
}
