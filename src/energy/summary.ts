/** The run summary from per-image rows (pure). Means are over steady (non-warm-up) images. */
import type { EnergyMethod } from '../../probes/types.js';
import type { IdleBaseline } from './idle-baseline.js';
import type { ImageRow } from './image-rows.js';
import { heatSummary, memorySummary, type HeatSummary, type MemorySummary } from './resource-summary.js';

export interface Stats {
  mean: number | null;
  median: number | null;
  p95: number | null;
  stdev: number | null;
}

export interface Summary {
  images: number;
  warmupImages: number;
  steadyImages: number;
  durationSeconds: number | null;
  secondsPerImage: Stats;
  joulesPerImage: Stats & { netMean: number | null };
  idleWatts: number | null;
  /** Steady gross joules over steady seconds. */
  meanWatts: number | null;
  peakVramBytes: number | null;
  /** Time-weighted coverage of the steady windows (all windows when there are no steady ones). */
  coverage: number | null;
  /** The energy method of the steady rows: one name, or `mixed`. */
  method: EnergyMethod | 'mixed' | null;
  /** True when any steady figure integrates average power. */
  flagged: boolean;
  imagesPerHour: number | null;
  whPer1000Images: number | null;
  /** Blank (black or uniform) images among the steady ones: left out of the means above. */
  blankImages?: number;
  /** Their gross joules together (null when unknown). */
  blankJoules?: number | null;
  /** External meters (`--meter`), each over the same steady images: never part of the figures above. */
  meters?: MeterSummary[];
  /** PCIe traffic, offloading, host memory, swap, free VRAM (runs recorded since issue 23). */
  memory?: MemorySummary;
  /** Temperatures, SM clock, clock event reasons. */
  heat?: HeatSummary;
}

export interface MeterSummary {
  deviceId: string;
  /** What the meter measures. */
  scope: string;
  /** Steady images the meter has a figure for. */
  images: number;
  joulesPerImage: Stats & { netMean: number | null };
  idleWatts: number | null;
  coverage: number | null;
}

/** Linear-interpolated percentile of sorted values (p in 0..1). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { mean: null, median: null, p95: null, stdev: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), stdev: Math.sqrt(variance) };
}

export function summarize(rows: readonly ImageRow[], idle: IdleBaseline | undefined, durationSeconds: number | null): Summary {
  // A blank image cost energy but is no image: left out of the means, reported apart.
  const blanks = rows.filter((r) => !r.warmup && r.blank);
  const steady = rows.filter((r) => !r.warmup && !r.blank);
  const known = steady.filter((r) => r.joules !== null);
  const net = steady.filter((r) => r.netJoules !== null);
  const sec = stats(steady.map((r) => r.seconds));
  const joules = stats(known.map((r) => r.joules!));
  const steadySeconds = known.reduce((a, r) => a + r.seconds, 0);
  const steadyJoules = known.reduce((a, r) => a + r.joules!, 0);
  const basis = steady.length > 0 ? steady : rows;
  const span = basis.reduce((a, r) => a + r.seconds, 0);
  const coverage =
    basis.length === 0 ? null : span > 0 ? basis.reduce((a, r) => a + r.coverage * r.seconds, 0) / span : Math.min(...basis.map((r) => r.coverage));
  const methods = new Set(basis.map((r) => r.method).filter((m): m is EnergyMethod => m !== null));
  let peak: number | null = null;
  for (const r of rows) if (r.peakVramBytes !== null && (peak === null || r.peakVramBytes > peak)) peak = r.peakVramBytes;
  return {
    images: rows.length,
    warmupImages: rows.length - steady.length - blanks.length,
    steadyImages: steady.length,
    durationSeconds,
    secondsPerImage: sec,
    joulesPerImage: { ...joules, netMean: net.length ? net.reduce((a, r) => a + r.netJoules!, 0) / net.length : null },
    idleWatts: idle?.totalWatts ?? null,
    meanWatts: steadySeconds > 0 ? steadyJoules / steadySeconds : null,
    peakVramBytes: peak,
    coverage,
    method: methods.size === 0 ? null : methods.size === 1 ? [...methods][0] : 'mixed',
    flagged: basis.some((r) => r.flagged),
    imagesPerHour: sec.mean ? 3600 / sec.mean : null,
    whPer1000Images: joules.mean !== null ? (joules.mean * 1000) / 3600 : null,
    ...(rows.some((r) => r.meters?.length) ? { meters: meterSummaries(steady, idle) } : {}),
    ...optional('memory', memorySummary(rows, steady)),
    ...optional('heat', heatSummary(rows, steady)),
    ...(blanks.length
      ? { blankImages: blanks.length, blankJoules: blanks.every((r) => r.joules !== null) ? blanks.reduce((a, r) => a + r.joules!, 0) : null }
      : {}),
  };
}

function meterSummaries(steady: readonly ImageRow[], idle: IdleBaseline | undefined): MeterSummary[] {
  const ids = [...new Set(steady.flatMap((r) => (r.meters ?? []).map((m) => m.deviceId)))];
  return ids.map((deviceId) => {
    const figs = steady.map((r) => ({ r, m: r.meters?.find((x) => x.deviceId === deviceId) })).filter((x) => x.m);
    const known = figs.filter((x) => x.m!.joules !== null);
    const net = figs.filter((x) => x.m!.netJoules !== null);
    const span = figs.reduce((a, x) => a + x.r.seconds, 0);
    return {
      deviceId,
      scope: figs[0]?.m?.scope ?? 'external meter',
      images: known.length,
      joulesPerImage: { ...stats(known.map((x) => x.m!.joules!)), netMean: net.length ? net.reduce((a, x) => a + x.m!.netJoules!, 0) / net.length : null },
      idleWatts: idle?.devices.find((d) => d.deviceId === deviceId)?.watts ?? null,
      coverage: figs.length === 0 ? null : span > 0 ? figs.reduce((a, x) => a + x.m!.coverage * x.r.seconds, 0) / span : null,
    };
  });
}

const optional = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
