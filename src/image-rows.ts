/**
 * Per-image rows from batches of image events and device samples (pure). Image i's window runs
 * from the previous batch's last file (or the run start, for the first batch: load and warm-up,
 * flagged) to its own batch's last file; a batch's energy is shared equally by its files.
 */
import type { EnergyMethod } from '../probes/types.js';
import type { ImageEvent } from './batches.js';
import type { ImageMeta } from './image-meta.js';
import { lowerBound, windowEnergy, type EnergyFigure, type PowerSample } from './energy.js';

export interface SeriesSample extends PowerSample {
  vramUsedBytes?: number;
}

/** One GPU's samples, sorted by time. */
export interface DeviceSeries {
  deviceId: string;
  samples: readonly SeriesSample[];
}

/** Idle power measured before the run. */
export interface IdleBaseline {
  startMs: number;
  endMs: number;
  devices: { deviceId: string; watts: number | null; method: EnergyMethod | null; coverage: number; flagged: boolean }[];
  /** Sum over GPUs; null when any GPU's idle power is unknown. */
  totalWatts: number | null;
}

export interface ImageRow {
  index: number;
  path: string;
  /** Event time: the file's mtime, epoch ms. */
  tMs: number;
  seconds: number;
  /** Gross joules for this image (its share of the batch); null = unknown. */
  joules: number | null;
  /** Gross minus idle power over the window; null without an idle baseline. */
  netJoules: number | null;
  /** Mean gross power over the window. */
  watts: number | null;
  peakVramBytes: number | null;
  batch: number;
  batchSize: number;
  warmup: boolean;
  method: EnergyMethod | null;
  coverage: number;
  flagged: boolean;
  windowStartMs: number;
  windowEndMs: number;
  bytes?: number;
  note?: string;
  /** The image's embedded settings (steps, sampler, seed, size, model). */
  meta?: ImageMeta;
}

export interface RowOptions {
  gapLimitMs: number;
  /** Leading batches counted as warm-up (excluded from steady means). Default 1. */
  warmupBatches: number;
}

const METHOD_RANK: Record<EnergyMethod, number> = { counter: 0, scaled: 1, instant: 2, average: 3 };

/** Energy of all GPUs over a window: known joules summed, worst method, lowest coverage. */
export function combinedEnergy(series: readonly DeviceSeries[], startMs: number, endMs: number, gapLimitMs: number): EnergyFigure {
  let joules: number | null = null;
  let method: EnergyMethod | null = null;
  let coverage = 1;
  let flagged = false;
  const notes: string[] = [];
  for (const s of series) {
    const fig = windowEnergy(s.samples, startMs, endMs, { gapLimitMs });
    coverage = Math.min(coverage, fig.coverage);
    if (fig.note) notes.push(series.length > 1 ? `${s.deviceId}: ${fig.note}` : fig.note);
    if (fig.joules === null || fig.method === null) continue;
    joules = (joules ?? 0) + fig.joules;
    flagged ||= fig.flagged;
    if (method === null || METHOD_RANK[fig.method] > METHOD_RANK[method]) method = fig.method;
  }
  if (series.length === 0) coverage = 0;
  const out: EnergyFigure = { joules, method, coverage, flagged };
  if (notes.length) out.note = notes.join('; ');
  return out;
}

function peakVram(series: readonly DeviceSeries[], startMs: number, endMs: number): number | null {
  let peak: number | null = null;
  for (const s of series) {
    for (let i = lowerBound(s.samples, startMs); i < s.samples.length && s.samples[i].tMs <= endMs; i++) {
      const v = s.samples[i].vramUsedBytes;
      if (v !== undefined && (peak === null || v > peak)) peak = v;
    }
  }
  return peak;
}

/** Rows for one closed batch, whose window starts at `windowStartMs`. */
export function batchRows(batch: readonly ImageEvent[], batchIndex: number, firstImageIndex: number, windowStartMs: number, series: readonly DeviceSeries[], idle: IdleBaseline | undefined, opts: RowOptions): ImageRow[] {
  const endMs = Math.max(...batch.map((e) => e.mtimeMs));
  const startMs = Math.min(windowStartMs, endMs);
  const fig = combinedEnergy(series, startMs, endMs, opts.gapLimitMs);
  const n = batch.length;
  const windowSeconds = (endMs - startMs) / 1000;
  const idleJ = idle?.totalWatts != null ? idle.totalWatts * windowSeconds : null;
  const peak = peakVram(series, startMs, endMs);
  return batch.map((e, k) => {
    const row: ImageRow = {
      index: firstImageIndex + k,
      path: e.path,
      tMs: e.mtimeMs,
      seconds: windowSeconds / n,
      joules: fig.joules === null ? null : fig.joules / n,
      netJoules: fig.joules === null || idleJ === null ? null : (fig.joules - idleJ) / n,
      watts: fig.joules === null || windowSeconds <= 0 ? null : fig.joules / windowSeconds,
      peakVramBytes: peak,
      batch: batchIndex,
      batchSize: n,
      warmup: batchIndex < opts.warmupBatches,
      method: fig.method,
      coverage: fig.coverage,
      flagged: fig.flagged,
      windowStartMs: startMs,
      windowEndMs: endMs,
    };
    if (e.bytes !== undefined) row.bytes = e.bytes;
    if (fig.note) row.note = fig.note;
    if (e.meta) row.meta = e.meta;
    return row;
  });
}

/** Rows for every batch of a run. */
export function computeRows(batches: readonly (readonly ImageEvent[])[], runStartMs: number, series: readonly DeviceSeries[], idle: IdleBaseline | undefined, opts: RowOptions): ImageRow[] {
  const rows: ImageRow[] = [];
  let start = runStartMs;
  batches.forEach((batch, b) => {
    rows.push(...batchRows(batch, b, rows.length, start, series, idle, opts));
    start = Math.max(...batch.map((e) => e.mtimeMs));
  });
  return rows;
}
