/**
 * What an image's window cost besides energy (pure, issue 23): PCIe bytes each way, the generator's
 * host memory peak, swap traffic, the lowest free VRAM, and heat (temperature at the edges, SM clock
 * mean, the share of the window under each clock event reason). Unknown is null, never 0: a device
 * or interface that gives no figure leaves it null.
 */
import { lowerBound } from '../series/series.js';
import { interpolate } from './window-energy.js';

/** The part of a reading this needs (GPU or host samples). */
export interface ResourceSample {
  tMs: number;
  temperatureC?: number;
  clockMhz?: number;
  throttleReasons?: string[];
  vramFreeBytes?: number;
  pcieRxBytes?: number;
  pcieTxBytes?: number;
  pcieRxBytesPerSec?: number;
  pcieTxBytesPerSec?: number;
  generatorRssBytes?: number;
  swapInBytes?: number;
  swapOutBytes?: number;
}

/**
 * An image is marked `offload` when its share of host→GPU traffic is at least this (1 GB: a plain
 * SDXL image moves a few MB of latents and pixels; any model re-upload moves gigabytes), or more
 * than the generator's own VRAM peak (it streamed more than it holds) and at least OFFLOAD_FLOOR_BYTES.
 */
export const OFFLOAD_MIN_BYTES = 1e9;
export const OFFLOAD_FLOOR_BYTES = 256 * 2 ** 20;

/** Slow metrics (1 s) and rates are looked for this far beyond a window's edges. */
const AROUND_MS = 3000;
/** A held value (a rate, a clock reason) covers at most this long. */
const HOLD_MS = 3000;

export interface WindowMemory {
  /** Host→GPU and GPU→host bytes over the window; null: no interface gave them. */
  pcieRxBytes: number | null;
  pcieTxBytes: number | null;
  /** `counter`: byte counters at the edges; `rate`: a throughput series integrated. */
  pcieMethod: 'counter' | 'rate' | null;
  hostRssPeakBytes: number | null;
  swapInBytes: number | null;
  swapOutBytes: number | null;
  minFreeVramBytes: number | null;
}

export interface WindowHeat {
  startC: number | null;
  endC: number | null;
  smClockMeanMhz: number | null;
  /** Share (0..1) of the window under each clock event reason; null: no reasons were read. */
  throttle: Record<string, number> | null;
  /** Share of the window under any reason; null: no reasons were read. */
  throttledShare: number | null;
}

type NumKey = {
  [K in keyof ResourceSample]-?: NonNullable<ResourceSample[K]> extends number ? (K extends 'tMs' ? never : K) : never;
}[keyof ResourceSample];
type Point = { t: number; v: number };

/** The samples carrying `key` from `fromMs` to `toMs`, as points. */
function points(samples: readonly ResourceSample[], key: NumKey, fromMs: number, toMs: number): Point[] {
  const out: Point[] = [];
  for (let i = lowerBound(samples, fromMs); i < samples.length && samples[i].tMs <= toMs; i++) {
    const v = samples[i][key];
    if (v !== undefined) out.push({ t: samples[i].tMs, v });
  }
  return out;
}

/**
 * A cumulative counter's advance over [start, end]: interpolated at each edge from reads on both
 * sides of it, positive steps summed (a counter that went back was reset: the step is left out).
 * Null when an edge has no read on one side.
 */
export function counterDelta(samples: readonly ResourceSample[], key: NumKey, startMs: number, endMs: number): number | null {
  const pts = points(samples, key, startMs - AROUND_MS * 10, endMs + AROUND_MS * 10);
  const a = interpolate(pts, startMs);
  const b = interpolate(pts, endMs);
  if (a === undefined || b === undefined) return null;
  const seq = [a, ...pts.filter((p) => p.t > startMs && p.t < endMs).map((p) => p.v), b];
  let sum = 0;
  for (let i = 1; i < seq.length; i++) if (seq[i] >= seq[i - 1]) sum += seq[i] - seq[i - 1];
  return sum;
}

/**
 * A rate series integrated over [start, end] (bytes): each reading is the mean over the stretch since
 * the one before (nvidia-smi dmon, pcie_bw: "over the last second"). Null when under half the window
 * is covered; the covered part is scaled to the whole window.
 */
export function rateIntegral(samples: readonly ResourceSample[], key: NumKey, startMs: number, endMs: number): number | null {
  const pts = points(samples, key, startMs - HOLD_MS, endMs + HOLD_MS);
  const span = endMs - startMs;
  let covered = 0;
  let sum = 0;
  for (let i = 0; i < pts.length; i++) {
    const to = pts[i].t;
    const from = i > 0 ? Math.max(pts[i - 1].t, to - HOLD_MS) : to - Math.min(HOLD_MS, 1000);
    const lo = Math.max(from, startMs);
    const hi = Math.min(to, endMs);
    if (hi <= lo) continue;
    covered += hi - lo;
    sum += (pts[i].v * (hi - lo)) / 1000;
  }
  if (span <= 0) return pts.length ? 0 : null;
  if (covered < span / 2) return null;
  return (sum * span) / covered;
}

/** Peak of a field over the window; with no reading inside it, the nearest on each side within AROUND_MS. */
function peakAround(samples: readonly ResourceSample[], key: NumKey, startMs: number, endMs: number): number | null {
  const pts = points(samples, key, startMs - AROUND_MS, endMs + AROUND_MS);
  const inside = pts.filter((p) => p.t >= startMs && p.t <= endMs);
  const use = inside.length ? inside : [pts.filter((p) => p.t < startMs).pop(), pts.find((p) => p.t > endMs)].filter((p): p is Point => p !== undefined);
  return use.length ? Math.max(...use.map((p) => p.v)) : null;
}

function minInside(samples: readonly ResourceSample[], key: NumKey, startMs: number, endMs: number): number | null {
  const pts = points(samples, key, startMs, endMs);
  return pts.length ? Math.min(...pts.map((p) => p.v)) : null;
}

/** The value read last at or before `t` (within AROUND_MS), else the first after it. */
function valueAt(samples: readonly ResourceSample[], key: NumKey, t: number, before: boolean): number | null {
  const pts = points(samples, key, t - AROUND_MS, t + AROUND_MS);
  const at = before ? pts.filter((p) => p.t <= t).pop() : pts.find((p) => p.t >= t);
  return (at ?? (before ? pts.find((p) => p.t > t) : pts.filter((p) => p.t < t).pop()))?.v ?? null;
}

/** Time-weighted mean of a slow field over the window (each reading held until the next, HOLD_MS at most). */
function heldMean(samples: readonly ResourceSample[], key: NumKey, startMs: number, endMs: number): number | null {
  const pts = points(samples, key, startMs - HOLD_MS, endMs);
  let w = 0;
  let sum = 0;
  for (let i = 0; i < pts.length; i++) {
    const lo = Math.max(pts[i].t, startMs);
    const hi = Math.min(i + 1 < pts.length ? pts[i + 1].t : pts[i].t + HOLD_MS, pts[i].t + HOLD_MS, endMs);
    if (hi > lo) {
      w += hi - lo;
      sum += pts[i].v * (hi - lo);
    }
  }
  if (w > 0) return sum / w;
  return endMs <= startMs ? valueAt(samples, key, startMs, true) : null;
}

/** Share of the window under each clock event reason, each reading held until the next. */
export function throttleShares(samples: readonly ResourceSample[], startMs: number, endMs: number): { throttle: Record<string, number>; any: number } | null {
  const reads: { t: number; r: readonly string[] }[] = [];
  for (let i = lowerBound(samples, startMs - HOLD_MS); i < samples.length && samples[i].tMs <= endMs; i++) {
    const r = samples[i].throttleReasons;
    if (r) reads.push({ t: samples[i].tMs, r });
  }
  const span = endMs - startMs;
  if (!reads.length || span <= 0) return null;
  const under = new Map<string, number>();
  let covered = 0;
  let anyMs = 0;
  for (let i = 0; i < reads.length; i++) {
    const lo = Math.max(reads[i].t, startMs);
    const hi = Math.min(i + 1 < reads.length ? reads[i + 1].t : Infinity, reads[i].t + HOLD_MS, endMs);
    if (hi <= lo) continue;
    covered += hi - lo;
    if (reads[i].r.length) anyMs += hi - lo;
    for (const name of reads[i].r) under.set(name, (under.get(name) ?? 0) + hi - lo);
  }
  if (covered < span / 2) return null;
  const throttle: Record<string, number> = {};
  for (const [k, ms] of under) throttle[k] = ms / covered;
  return { throttle, any: anyMs / covered };
}

/** One GPU's memory figures over a window. */
function gpuMemory(
  s: readonly ResourceSample[],
  startMs: number,
  endMs: number,
): Pick<WindowMemory, 'pcieRxBytes' | 'pcieTxBytes' | 'pcieMethod' | 'minFreeVramBytes'> {
  let rx = counterDelta(s, 'pcieRxBytes', startMs, endMs);
  let tx = counterDelta(s, 'pcieTxBytes', startMs, endMs);
  let method: WindowMemory['pcieMethod'] = rx !== null || tx !== null ? 'counter' : null;
  if (method === null) {
    rx = rateIntegral(s, 'pcieRxBytesPerSec', startMs, endMs);
    tx = rateIntegral(s, 'pcieTxBytesPerSec', startMs, endMs);
    if (rx !== null || tx !== null) method = 'rate';
  }
  return { pcieRxBytes: rx, pcieTxBytes: tx, pcieMethod: method, minFreeVramBytes: minInside(s, 'vramFreeBytes', startMs, endMs) };
}

const sumOrNull = (xs: (number | null)[]): number | null => (xs.length && xs.every((x) => x !== null) ? xs.reduce<number>((a, x) => a + x!, 0) : null);
const minOrNull = (xs: (number | null)[]): number | null => {
  const k = xs.filter((x): x is number => x !== null);
  return k.length ? Math.min(...k) : null;
};
const maxOrNull = (xs: (number | null)[]): number | null => {
  const k = xs.filter((x): x is number => x !== null);
  return k.length ? Math.max(...k) : null;
};

/** Memory figures of the charged GPUs (bytes summed: null if any GPU has none) and of the host. */
export function windowMemory(
  gpus: readonly (readonly ResourceSample[])[],
  host: readonly ResourceSample[] | undefined,
  startMs: number,
  endMs: number,
): WindowMemory {
  const per = gpus.map((s) => gpuMemory(s, startMs, endMs));
  const methods = per.map((p) => p.pcieMethod);
  return {
    pcieRxBytes: sumOrNull(per.map((p) => p.pcieRxBytes)),
    pcieTxBytes: sumOrNull(per.map((p) => p.pcieTxBytes)),
    pcieMethod: methods.includes(null) ? null : methods.includes('rate') ? 'rate' : (methods[0] ?? null),
    hostRssPeakBytes: host ? peakAround(host, 'generatorRssBytes', startMs, endMs) : null,
    swapInBytes: host ? counterDelta(host, 'swapInBytes', startMs, endMs) : null,
    swapOutBytes: host ? counterDelta(host, 'swapOutBytes', startMs, endMs) : null,
    minFreeVramBytes: minOrNull(per.map((p) => p.minFreeVramBytes)),
  };
}

/** Heat of the charged GPUs: the hottest's temperatures, the mean of their clocks, each reason's largest share. */
export function windowHeat(gpus: readonly (readonly ResourceSample[])[], startMs: number, endMs: number): WindowHeat {
  const shares = gpus.map((s) => throttleShares(s, startMs, endMs)).filter((x) => x !== null);
  const clocks = gpus.map((s) => heldMean(s, 'clockMhz', startMs, endMs)).filter((x): x is number => x !== null);
  let throttle: Record<string, number> | null = null;
  for (const sh of shares) {
    throttle ??= {};
    for (const [k, v] of Object.entries(sh.throttle)) throttle[k] = Math.max(throttle[k] ?? 0, v);
  }
  return {
    startC: maxOrNull(gpus.map((s) => valueAt(s, 'temperatureC', startMs, true))),
    endC: maxOrNull(gpus.map((s) => valueAt(s, 'temperatureC', endMs, true))),
    smClockMeanMhz: clocks.length ? clocks.reduce((a, x) => a + x, 0) / clocks.length : null,
    throttle,
    throttledShare: shares.length ? Math.max(...shares.map((x) => x.any)) : null,
  };
}

/**
 * Whether an image moved enough host→GPU to be called offloading: its share of the traffic is at
 * least OFFLOAD_MIN_BYTES, or more than the generator's own VRAM peak (and OFFLOAD_FLOOR_BYTES).
 */
export function isOffload(rxBytesPerImage: number | null, processPeakVramBytes: number | undefined): boolean {
  if (rxBytesPerImage === null) return false;
  if (rxBytesPerImage >= OFFLOAD_MIN_BYTES) return true;
  return processPeakVramBytes !== undefined && processPeakVramBytes > 0 && rxBytesPerImage >= OFFLOAD_FLOOR_BYTES && rxBytesPerImage > processPeakVramBytes;
}

/** The busiest clock event reason and its share, `34 % (sw-power-cap)`; null when none held the clocks. */
export function topThrottle(heat: Pick<WindowHeat, 'throttle'> | undefined): { reason: string; share: number } | null {
  if (!heat?.throttle) return null;
  let best: { reason: string; share: number } | null = null;
  for (const [reason, share] of Object.entries(heat.throttle)) if (share > 0 && (!best || share > best.share)) best = { reason, share };
  return best;
}
