/**
 * Per-image rows from batches of image events and device samples (pure). Image i's window runs
 * from the previous batch's last file (or the run start, for the first batch: load and warm-up,
 * flagged) to its own batch's last file; a batch's energy is shared equally by its files.
 *
 * Several GPUs: a window's energy is the sum over the charged GPUs, and unknown (null, with a note
 * naming the silent GPU) as soon as one of them has no figure — never a partial sum that reads like
 * the whole. Idle power follows the same rule (idle-baseline.ts).
 */
import type { EnergyMethod, DeviceInfo } from '../../probes/types.js';
import type { ImageEvent } from '../images/batches.js';
import type { ImageMeta } from '../images/image-meta.js';
import { lowerBound } from '../series/series.js';
import type { IdleBaseline } from './idle-baseline.js';
import { windowEnergy, type EnergyFigure, type PowerSample } from './window-energy.js';
import { isOffload, windowHeat, windowMemory, type ResourceSample, type WindowHeat, type WindowMemory } from './window-resources.js';

export type { IdleBaseline } from './idle-baseline.js';

export interface SeriesSample extends PowerSample, ResourceSample {
  vramUsedBytes?: number;
  /** GPU memory of the measured generator's processes on this device. */
  processVramBytes?: number;
}

/** One GPU's samples, sorted by time. */
export interface DeviceSeries {
  deviceId: string;
  samples: readonly SeriesSample[];
  /** The boxcar width of its `average` power, when known (its energy is then recovered, boxcar.ts). */
  averageWindowMs?: number;
  /** An external meter, with what it measures (its powerScope): its own figure per window (ImageRow.meters), never summed with the GPUs. */
  meter?: string;
  /** Its own gap limit (a meter answers about once a second), ms. */
  gapLimitMs?: number;
  /** The host: the generator's memory and swap (window-resources.ts), never energy. */
  host?: boolean;
}

/** An image's memory figures: bytes are its share of the batch's; `offload` when it moved enough host→GPU. */
export interface ImageMemory extends WindowMemory {
  offload: boolean;
}

/** An external meter's figure for one image (its share of the batch), as the GPU figure is. */
export interface MeterRow {
  deviceId: string;
  /** What the meter measures (`whole system at the wall (Shelly plug)`). */
  scope: string;
  joules: number | null;
  /** Net of the meter's own idle power over the window; null without it. */
  netJoules: number | null;
  method: EnergyMethod | null;
  coverage: number;
  note?: string;
}

/** External meters among the devices: id → what each measures. */
export function meterScopes(devices: readonly DeviceInfo[]): Map<string, string> {
  return new Map(devices.filter((d) => d.meter).map((d) => [d.id, d.powerScope ?? 'external meter']));
}

/** A meter's gap limit: three of its periods, never below the GPUs'. */
export const meterGapLimitMs = (gapLimitMs: number): number => Math.max(gapLimitMs, 3000);

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
  /** The generator's own processes' GPU memory peak over the window (from process lists), when known. */
  processPeakVramBytes?: number;
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
  /** Luminance entropy, bits per pixel; null: not decoded. */
  entropyBits?: number | null;
  /** A black or uniform image: shown, left out of the steady means, its energy reported apart. */
  blank?: boolean;
  /** External meters' figures for the same window (`--meter`): what they cover is their device's powerScope. */
  meters?: MeterRow[];
  /** PCIe traffic, host memory, swap and free VRAM over the window (absent in recordings before issue 23). */
  memory?: ImageMemory;
  /** Temperature at the edges, SM clock mean, clock event reasons' shares. */
  heat?: WindowHeat;
}

export interface RowOptions {
  gapLimitMs: number;
  /** Leading batches counted as warm-up (excluded from steady means). Default 1. */
  warmupBatches: number;
}

const METHOD_RANK: Record<EnergyMethod, number> = { counter: 0, scaled: 1, instant: 2, average: 3 };

/** Energy of the charged GPUs over a window: the sum, worst method, lowest coverage; unknown if any GPU is. */
export function combinedEnergy(series: readonly DeviceSeries[], startMs: number, endMs: number, gapLimitMs: number): EnergyFigure {
  let joules = 0;
  let method: EnergyMethod | null = null;
  let coverage = 1;
  let flagged = false;
  const notes: string[] = [];
  const silent: string[] = [];
  for (const s of series) {
    const fig = windowEnergy(s.samples, startMs, endMs, { gapLimitMs, averageWindowMs: s.averageWindowMs });
    coverage = Math.min(coverage, fig.coverage);
    if (fig.note) notes.push(series.length > 1 ? `${s.deviceId}: ${fig.note}` : fig.note);
    if (fig.joules === null || fig.method === null) {
      silent.push(s.deviceId);
      continue;
    }
    joules += fig.joules;
    flagged ||= fig.flagged;
    if (method === null || METHOD_RANK[fig.method] > METHOD_RANK[method]) method = fig.method;
  }
  if (series.length === 0) return { joules: null, method: null, coverage: 0, flagged: false, note: 'no GPU is charged for this window' };
  if (silent.length > 0) {
    if (series.length > 1) notes.push(`energy unknown: no figure for ${silent.join(', ')} (every charged GPU must have one)`);
    return { joules: null, method: null, coverage, flagged: false, note: notes.join('; ') };
  }
  const out: EnergyFigure = { joules, method, coverage, flagged };
  if (notes.length) out.note = notes.join('; ');
  return out;
}

/** Highest value of a memory field over a window: the largest single reading of any GPU. */
export function peakVram(
  series: readonly DeviceSeries[],
  startMs: number,
  endMs: number,
  field: 'vramUsedBytes' | 'processVramBytes' = 'vramUsedBytes',
): number | null {
  let peak: number | null = null;
  for (const s of series) {
    for (let i = lowerBound(s.samples, startMs); i < s.samples.length && s.samples[i].tMs <= endMs; i++) {
      const v = s.samples[i][field];
      if (v !== undefined && (peak === null || v > peak)) peak = v;
    }
  }
  return peak;
}

/** What a closed batch cost, before idle is subtracted (the part that needs the samples). */
export interface BatchFigure {
  batch: number;
  events: readonly ImageEvent[];
  startMs: number;
  endMs: number;
  fig: EnergyFigure;
  peakVramBytes: number | null;
  processPeakVramBytes: number | null;
  /** External meters over the same window. */
  meters?: { deviceId: string; scope: string; fig: EnergyFigure }[];
  memory: WindowMemory;
  heat: WindowHeat;
}

export function batchFigure(
  batch: readonly ImageEvent[],
  batchIndex: number,
  windowStartMs: number,
  series: readonly DeviceSeries[],
  gapLimitMs: number,
): BatchFigure {
  const endMs = Math.max(...batch.map((e) => e.mtimeMs));
  const startMs = Math.min(windowStartMs, endMs);
  const gpus = series.filter((s) => !s.meter && !s.host);
  const host = series.find((s) => s.host);
  const out: BatchFigure = {
    batch: batchIndex,
    events: batch,
    startMs,
    endMs,
    fig: combinedEnergy(gpus, startMs, endMs, gapLimitMs),
    peakVramBytes: peakVram(gpus, startMs, endMs),
    processPeakVramBytes: peakVram(gpus, startMs, endMs, 'processVramBytes'),
    memory: windowMemory(
      gpus.map((s) => s.samples),
      host?.samples,
      startMs,
      endMs,
    ),
    heat: windowHeat(
      gpus.map((s) => s.samples),
      startMs,
      endMs,
    ),
  };
  const meters = series.filter((s) => s.meter);
  if (meters.length)
    out.meters = meters.map((s) => ({
      deviceId: s.deviceId,
      scope: s.meter!,
      fig: windowEnergy(s.samples, startMs, endMs, { gapLimitMs: s.gapLimitMs ?? meterGapLimitMs(gapLimitMs) }),
    }));
  return out;
}

/** A batch's rows: its energy shared by its files, net of idle when the baseline is known. */
export function rowsOfBatch(b: BatchFigure, firstImageIndex: number, idle: IdleBaseline | undefined, opts: RowOptions): ImageRow[] {
  const { fig, startMs, endMs } = b;
  const n = b.events.length;
  const windowSeconds = (endMs - startMs) / 1000;
  const idleJ = idle?.totalWatts != null ? idle.totalWatts * windowSeconds : null;
  return b.events.map((e, k) => {
    const row: ImageRow = {
      index: firstImageIndex + k,
      path: e.path,
      tMs: e.mtimeMs,
      seconds: windowSeconds / n,
      joules: fig.joules === null ? null : fig.joules / n,
      netJoules: fig.joules === null || idleJ === null ? null : (fig.joules - idleJ) / n,
      watts: fig.joules === null || windowSeconds <= 0 ? null : fig.joules / windowSeconds,
      peakVramBytes: b.peakVramBytes,
      batch: b.batch,
      batchSize: n,
      warmup: b.batch < opts.warmupBatches,
      method: fig.method,
      coverage: fig.coverage,
      flagged: fig.flagged,
      windowStartMs: startMs,
      windowEndMs: endMs,
    };
    if (b.processPeakVramBytes !== null) row.processPeakVramBytes = b.processPeakVramBytes;
    const share = (x: number | null) => (x === null ? null : x / n);
    const m = b.memory;
    const rx = share(m.pcieRxBytes);
    row.memory = {
      ...m,
      pcieRxBytes: rx,
      pcieTxBytes: share(m.pcieTxBytes),
      swapInBytes: share(m.swapInBytes),
      swapOutBytes: share(m.swapOutBytes),
      // The first window loads the model (host→GPU by nature): warm-up is never called offloading.
      offload: b.batch >= opts.warmupBatches && isOffload(rx, b.processPeakVramBytes ?? undefined),
    };
    row.heat = b.heat;
    if (e.bytes !== undefined) row.bytes = e.bytes;
    if (fig.note) row.note = fig.note;
    if (e.meta) row.meta = e.meta;
    if (e.entropyBits !== undefined) row.entropyBits = e.entropyBits;
    if (e.blank) row.blank = true;
    if (b.meters)
      row.meters = b.meters.map(({ deviceId, scope, fig: m }) => {
        const idleW = idle?.devices.find((d) => d.deviceId === deviceId)?.watts ?? null;
        const mr: MeterRow = {
          deviceId,
          scope,
          joules: m.joules === null ? null : m.joules / n,
          netJoules: m.joules === null || idleW === null ? null : (m.joules - idleW * windowSeconds) / n,
          method: m.method,
          coverage: m.coverage,
        };
        if (m.note) mr.note = m.note;
        return mr;
      });
    return row;
  });
}

/** Rows for one closed batch, whose window starts at `windowStartMs`. */
export function batchRows(
  batch: readonly ImageEvent[],
  batchIndex: number,
  firstImageIndex: number,
  windowStartMs: number,
  series: readonly DeviceSeries[],
  idle: IdleBaseline | undefined,
  opts: RowOptions,
): ImageRow[] {
  return rowsOfBatch(batchFigure(batch, batchIndex, windowStartMs, series, opts.gapLimitMs), firstImageIndex, idle, opts);
}

/** Rows for every batch of a run. */
export function computeRows(
  batches: readonly (readonly ImageEvent[])[],
  runStartMs: number,
  series: readonly DeviceSeries[],
  idle: IdleBaseline | undefined,
  opts: RowOptions,
): ImageRow[] {
  const rows: ImageRow[] = [];
  let start = runStartMs;
  batches.forEach((batch, b) => {
    rows.push(...batchRows(batch, b, rows.length, start, series, idle, opts));
    start = Math.max(...batch.map((e) => e.mtimeMs));
  });
  return rows;
}
