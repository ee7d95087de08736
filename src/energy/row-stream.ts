/**
 * Per-image rows computed while a recording streams past (a journal of any size, in bounded memory):
 * samples are kept only as far back as the open windows need (plus the energy counter's calibration
 * span), and a batch's figure is computed once every charged GPU has a sample past its window's end
 * (by the gap limit, so late samples still count), from exactly the samples a whole-file reading would
 * use. The result equals {@link computeRows} over the whole file.
 */
import type { Reading } from '../../probes/types.js';
import { HOST_DEVICE_ID } from '../../probes/host/host-id.js';
import { groupIntoBatches, type ImageEvent } from '../images/batches.js';
import {
  batchFigure,
  meterGapLimitMs,
  rowsOfBatch,
  type BatchFigure,
  type DeviceSeries,
  type ImageRow,
  type RowOptions,
  type SeriesSample,
} from './image-rows.js';
import type { IdleBaseline } from './idle-baseline.js';
import { counterSettled, SCALE_SPAN_MS } from './window-energy.js';
import { RECOVERY_LOOKBACK_MS } from './boxcar.js';

/** How far behind the oldest open window samples are kept: the counter's calibration span or the average's recovery lookback, and slack. */
const KEEP_BEHIND_MS = Math.max(SCALE_SPAN_MS, RECOVERY_LOOKBACK_MS) + 5000;

/** The part of a reading the rows need. */
export function seriesSample(r: Reading): SeriesSample | null {
  let s: SeriesSample | null = null;
  for (const k of SAMPLE_KEYS) {
    const v = r[k];
    if (v === undefined) continue;
    s ??= { tMs: r.tMs };
    (s as unknown as Record<string, unknown>)[k] = v;
  }
  if (s && s.powerKind !== undefined && s.powerWatts === undefined) delete s.powerKind;
  return s;
}

/** The fields of a reading the rows use (energy, memory, PCIe, heat; the host's memory and swap). */
const SAMPLE_KEYS = [
  'powerWatts',
  'powerKind',
  'energyJoules',
  'vramUsedBytes',
  'processVramBytes',
  'vramFreeBytes',
  'pcieRxBytes',
  'pcieTxBytes',
  'pcieRxBytesPerSec',
  'pcieTxBytesPerSec',
  'temperatureC',
  'clockMhz',
  'throttleReasons',
  'generatorRssBytes',
  'swapInBytes',
  'swapOutBytes',
] as const satisfies readonly (keyof Reading)[];

/** Inserts keeping the series sorted by time (samples can arrive a little out of order). */
export function insertSorted(arr: SeriesSample[], s: SeriesSample): void {
  if (arr.length === 0 || arr[arr.length - 1].tMs <= s.tMs) {
    arr.push(s);
    return;
  }
  let i = arr.length - 1;
  while (i > 0 && arr[i - 1].tMs > s.tMs) i--;
  arr.splice(i, 0, s);
}

export interface RowStreamOptions {
  /** Every GPU whose samples are kept. */
  gpuIds: readonly string[];
  /** The GPUs charged to the run (default: all of gpuIds). */
  charged?: readonly string[];
  /** Compute no figure until {@link RowStream.charge} says which GPUs (decided from the generator's processes). */
  hold?: boolean;
  gapLimitMs: number;
  batchGapMs: number | null;
  /** Boxcar widths of the devices' average power (boxcar.ts `averageWindows`). */
  averageWindows?: ReadonlyMap<string, number>;
  /** External meters (id → what it measures): their own figure per window, whatever GPUs are charged. */
  meters?: ReadonlyMap<string, string>;
}

/** A meter whose latest reading is this much older than a window's end is not waited for (it stopped answering). */
const METER_STALE_MS = 5000;

export class RowStream {
  private readonly series = new Map<string, SeriesSample[]>();
  /** Latest sample time per GPU. */
  private readonly latest = new Map<string, number>();
  private readonly pending: { batch: number; events: ImageEvent[] }[] = [];
  /** Figures computed and not yet taken. */
  private figures: BatchFigure[] = [];
  /** The next batch number after every closed batch. */
  private nextBatch = 0;
  /** Where the next window opens: the last batch's end, or the run start. */
  private nextStartMs: number | null = null;
  private runStartMs: number | null = null;
  private firstImageMs: number | null = null;

  private charged: readonly string[];
  private holding: boolean;

  constructor(private readonly o: RowStreamOptions) {
    for (const id of [...o.gpuIds, ...(o.meters?.keys() ?? [])]) this.series.set(id, []);
    // The generator's host memory and swap (never waited for: read once a second, and only in runs).
    if (o.gpuIds.length) this.series.set(HOST_DEVICE_ID, []);
    this.charged = (o.charged ?? o.gpuIds).filter((id) => this.series.has(id));
    this.holding = Boolean(o.hold);
  }

  /** From now on, figures sum these GPUs only (and a held stream computes again). */
  charge(ids: readonly string[]): void {
    const known = ids.filter((id) => this.series.has(id));
    if (known.length) this.charged = known;
    this.holding = false;
    this.computeReady(false);
  }

  /** The run's start (the first window opens here). */
  runStart(tMs: number): void {
    this.runStartMs = tMs;
  }

  /** An image was counted (only its time matters here: a run without a start record opens at the first image). */
  image(e: ImageEvent): void {
    this.firstImageMs ??= e.mtimeMs;
  }

  sample(r: Reading): void {
    const arr = this.series.get(r.deviceId);
    if (!arr) return;
    const s = seriesSample(r);
    if (!s) return;
    insertSorted(arr, s);
    this.latest.set(r.deviceId, Math.max(this.latest.get(r.deviceId) ?? -Infinity, s.tMs));
    this.computeReady(false);
  }

  /** A closed batch, in batch order. */
  batch(index: number, events: ImageEvent[]): void {
    this.pending.push({ batch: index, events });
    this.computeReady(false);
  }

  private windowStart(): number {
    return this.nextStartMs ?? this.runStartMs ?? this.firstImageMs ?? 0;
  }

  private seriesList(): DeviceSeries[] {
    const gpus: DeviceSeries[] = this.charged.map((id) => ({ deviceId: id, samples: this.series.get(id)!, averageWindowMs: this.o.averageWindows?.get(id) }));
    const gapLimitMs = meterGapLimitMs(this.o.gapLimitMs);
    const host = this.series.get(HOST_DEVICE_ID);
    return [
      ...gpus,
      ...[...(this.o.meters ?? [])].map(([id, scope]) => ({ deviceId: id, samples: this.series.get(id)!, meter: scope, gapLimitMs })),
      ...(host ? [{ deviceId: HOST_DEVICE_ID, samples: host, host: true }] : []),
    ];
  }

  private computeReady(all: boolean): void {
    if (this.holding && !all) return;
    while (this.pending.length) {
      const p = this.pending[0];
      const endMs = Math.max(...p.events.map((e) => e.mtimeMs));
      if (!all && !this.charged.every((id) => (this.latest.get(id) ?? -Infinity) > endMs + this.o.gapLimitMs && counterSettled(this.series.get(id)!, endMs)))
        break;
      // A meter (or the host's memory read) answering about once a second: wait for its reading past the window, unless it went quiet.
      if (
        !all &&
        ![...(this.o.meters?.keys() ?? []), HOST_DEVICE_ID].every((id) => {
          const t = this.latest.get(id) ?? -Infinity;
          return t > endMs || t < endMs - METER_STALE_MS;
        })
      )
        break;
      this.pending.shift();
      this.figures.push(batchFigure(p.events, p.batch, this.windowStart(), this.seriesList(), this.o.gapLimitMs));
      this.nextBatch = Math.max(this.nextBatch, p.batch + 1);
      this.nextStartMs = endMs;
    }
    this.trim();
  }

  /** Drops samples no open window can need (none while holding: the held windows need them all). */
  private trim(): void {
    if (this.holding) return;
    const keepFrom = this.windowStart() - KEEP_BEHIND_MS;
    for (const arr of this.series.values()) {
      let i = 0;
      while (i < arr.length - 1 && arr[i + 1].tMs < keepFrom) i++;
      if (i > 0) arr.splice(0, i);
    }
  }

  /** The figures computed since the last call (a live session turns them into rows as they come). */
  takeReady(): BatchFigure[] {
    const out = this.figures;
    this.figures = [];
    return out;
  }

  /** Samples held now (for memory checks). */
  get heldSamples(): number {
    let n = 0;
    for (const a of this.series.values()) n += a.length;
    return n;
  }

  /**
   * The end of the recording: images whose batch never closed are grouped by the same rule, after
   * the closed ones; every remaining figure is computed with the samples there are. Returns the
   * figures not taken yet.
   */
  finish(open: ImageEvent[]): { figures: BatchFigure[]; regrouped: ImageEvent[] } {
    this.computeReady(true);
    let next = Math.max(this.nextBatch, ...this.pending.map((p) => p.batch + 1));
    const regrouped: ImageEvent[] = [];
    for (const g of groupIntoBatches(open, this.o.batchGapMs ?? undefined)) {
      const events = g.map((e) => ({ ...e, batch: next }));
      regrouped.push(...events);
      this.pending.push({ batch: next++, events });
    }
    this.computeReady(true);
    return { figures: this.figures, regrouped };
  }
}

/** Rows of the figures, in order, with idle applied (known only once the whole recording is read). */
export function rowsOfFigures(figures: readonly BatchFigure[], idle: IdleBaseline | undefined, opts: RowOptions): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const f of figures) rows.push(...rowsOfBatch(f, rows.length, idle, opts));
  return rows;
}
