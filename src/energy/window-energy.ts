/**
 * Energy over a time window from one device's samples (pure). Best method first: the energy
 * counter's difference between reads at the window edges; else the trapezoid over instant power,
 * scaled by the counter where one is read (`scaled`); else over average power (flagged). Every
 * figure carries its method and coverage; a window no two close samples span has no figure (null).
 */
import type { EnergyMethod, PowerKind } from '../../probes/types.js';
import { firstIndex, lowerBound, sliceAround } from '../series/series.js';
import { energyBetween, flatStart, recoverEnergy, RECOVERY_LOOKBACK_MS } from './boxcar.js';

/** The part of a reading the energy math needs. */
export interface PowerSample {
  tMs: number;
  powerWatts?: number;
  powerKind?: PowerKind;
  energyJoules?: number;
}

export interface EnergyFigure {
  /** Null when the window has no usable samples: unknown, never 0. */
  joules: number | null;
  method: EnergyMethod | null;
  /** Share of the window (0..1) covered by samples no further apart than the gap limit. */
  coverage: number;
  /** True when the figure integrates a running-average power series (biased low on short windows). */
  flagged: boolean;
  /** Why a better method was not used, e.g. a counter reset. */
  note?: string;
}

export interface EnergyOptions {
  /** Samples further apart than this leave the stretch between them uncovered. */
  gapLimitMs: number;
  /** The width of the boxcar the device's `average` power covers, ms (known: the power is recovered, boxcar.ts). */
  averageWindowMs?: number;
}

type Point = { t: number; v: number };

/** Value at `t` by linear interpolation within sorted points; undefined outside. */
export function interpolate(points: readonly Point[], t: number): number | undefined {
  if (points.length === 0 || t < points[0].t || t > points[points.length - 1].t) return undefined;
  // The last point at or before t, and the one after it (the last point itself at the very end).
  const lo = Math.min(firstIndex(points, (p) => p.t > t) - 1, points.length - 2);
  const a = points[Math.max(0, lo)];
  const b = points[Math.max(0, lo) + (points.length > 1 ? 1 : 0)];
  if (b.t === a.t) return b.v;
  return a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
}

/** Covered share of [start, end]: the parts between consecutive points no further apart than the limit. */
export function coverageOf(points: readonly Point[], startMs: number, endMs: number, gapLimitMs: number): number {
  const span = endMs - startMs;
  if (span <= 0) return points.some((p) => Math.abs(p.t - startMs) <= gapLimitMs) ? 1 : 0;
  let covered = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1].t;
    const b = points[i].t;
    if (b - a > gapLimitMs) continue;
    const lo = Math.max(a, startMs);
    const hi = Math.min(b, endMs);
    if (hi > lo) covered += hi - lo;
  }
  // A lone edge sample within the limit still vouches for the stretch up to it.
  return Math.min(1, covered / span);
}

/** Trapezoid integral (W·ms → J) of sorted points over [start, end]: edges interpolated, or held at the nearest point outside the sampled span. */
export function trapezoidJoules(points: readonly Point[], startMs: number, endMs: number): number | undefined {
  if (points.length === 0 || endMs < startMs) return undefined;
  const first = points[0];
  const last = points[points.length - 1];
  // Outside the sampled span, hold the nearest value (the stretch is uncovered and says so).
  const at = (t: number) => (t <= first.t ? first.v : t >= last.t ? last.v : interpolate(points, t)!);
  const inner = points.filter((p) => p.t > startMs && p.t < endMs);
  const seq: Point[] = [{ t: startMs, v: at(startMs) }, ...inner, { t: endMs, v: at(endMs) }];
  let mJ = 0;
  for (let i = 1; i < seq.length; i++) mJ += ((seq[i - 1].v + seq[i].v) / 2) * (seq[i].t - seq[i - 1].t);
  return mJ / 1000;
}

/**
 * The counter as a reader at `t` would have seen it: the last reading at or before `t`. The counter
 * is a staircase (the H100's advances ~10x/s); on the H100 traces, linear interpolation between
 * readings was off by +0.66 % per image (turbo-like), holding the last reading by 0.00 %.
 */
export function counterAt(points: readonly Point[], t: number): number | undefined {
  if (points.length === 0 || t < points[0].t) return undefined;
  return points[firstIndex(points, (p) => p.t > t) - 1].v;
}

/**
 * How far after a window edge a counter read may be to set it alone. A read taken when an image
 * completed (the watcher accepted the file, a few ms after its mtime) lands this close; instant
 * power bridges the stretch in between.
 */
export const COUNTER_EDGE_MS = 150;
/**
 * How far after an edge the next counter read may be for the edge to be placed between two reads
 * (a run reads it every 2 s; slack for a loaded machine's late timers), and twice this: how far
 * apart those two reads may be.
 */
export const COUNTER_ANCHOR_MS = 3500;
const ANCHOR_SPAN_MS = 2 * COUNTER_ANCHOR_MS;
/** A read this little before an edge is held when reads are dense (the counter read at every sample). */
const HOLD_MS = 120;
/** Reads at most this far apart are dense. */
const DENSE_MS = 250;

/**
 * The counter at a window edge `t`, from the reads around it:
 * - dense reads (at every sample, ≤ 250 ms apart): the last read at or before the edge, held as the
 *   counter's own staircase holds it (on the H100 traces this matched the counter truth to 0.00 %);
 * - sparse reads (a run reads it every second or two: each read costs ~5 ms of CPU on an H100 under
 *   load): the energy between the read before and the read after the edge, shared out in proportion
 *   to instant power. Every edge then lies on one curve through the counter's reads, so the windows
 *   of a run add up to the counter's own difference, and instant power only decides where inside a
 *   second the joules fall;
 * - else (no instant power over the stretch) a read up to 120 ms before the edge, held, or a read
 *   just after it (an image's completion), bridged back with instant power where there is some.
 * Undefined when none applies: a read a second before the edge is never held forward alone.
 */
export function counterAtEdge(counter: readonly Point[], instant: readonly Point[], t: number, gapLimitMs = Infinity): number | undefined {
  const lo = firstIndex(counter, (c) => c.t >= t);
  const after = counter[lo];
  const before = lo > 0 ? counter[lo - 1] : undefined;
  if (after && after.t === t) return after.v;
  if (before !== undefined && t - before.t <= HOLD_MS && (!after || after.t - before.t <= DENSE_MS)) return before.v;
  if (before && after && after.t - t <= COUNTER_ANCHOR_MS && after.t - before.t <= ANCHOR_SPAN_MS) {
    const v = anchored(before, after, instant, t, gapLimitMs);
    if (v !== undefined) return v;
  }
  // No instant power to place the edge between reads (an accumulator polled every 400 ms beside an
  // averaged power): a read this close before it is held, as the staircase holds it.
  if (before !== undefined && t - before.t <= HOLD_MS) return before.v;
  if (after && after.t - t <= COUNTER_EDGE_MS) {
    // Bridge with instant power when it spans the stretch; else hold the read (a few ms of error).
    const bridge = instant.length >= 2 && instant[0].t <= t && instant[instant.length - 1].t >= after.t ? trapezoidJoules(instant, t, after.t) : undefined;
    return after.v - (bridge ?? 0);
  }
  return undefined;
}

/**
 * Whether a window ending at `endMs` can be computed now as it will be from the whole recording: the
 * device's counter, where it is read, has a read at or after the end with power sampled past it (the
 * edge lies between two reads), or nothing came within {@link COUNTER_ANCHOR_MS} of the end (the edge
 * is then placed without one, as a whole-file reading also would). `samples` sorted by time.
 */
export function counterSettled(samples: readonly PowerSample[], endMs: number): boolean {
  let read: number | undefined;
  let counted = false;
  let powerMs = -Infinity;
  for (let i = samples.length - 1; i >= 0 && samples[i].tMs >= endMs - ANCHOR_SPAN_MS; i--) {
    const s = samples[i];
    if (s.energyJoules !== undefined) {
      counted = true;
      if (s.tMs >= endMs) read = s.tMs;
    }
    if (s.powerWatts !== undefined && powerMs === -Infinity) powerMs = s.tMs;
  }
  if (!counted || (samples.length > 0 && samples[samples.length - 1].tMs > endMs + COUNTER_ANCHOR_MS)) return true;
  return read !== undefined && powerMs >= read;
}

/** The counter at `t` between two reads, the energy between them shared out by instant power (which must cover the stretch). */
function anchored(before: Point, after: Point, instant: readonly Point[], t: number, gapLimitMs: number): number | undefined {
  if (after.v < before.v || instant.length < 2 || instant[0].t > before.t || instant[instant.length - 1].t < after.t) return undefined;
  if (coverageOf(instant, before.t, after.t, gapLimitMs) < 1) return undefined;
  const whole = trapezoidJoules(instant, before.t, after.t);
  const part = trapezoidJoules(instant, before.t, t);
  if (whole === undefined || part === undefined || !(whole > 0)) return undefined;
  return before.v + ((after.v - before.v) * part) / whole;
}

function counterEnergy(pts: Point[], instant: Point[], startMs: number, endMs: number, opts: EnergyOptions): EnergyFigure | { reject: string } {
  for (let i = 1; i < pts.length; i++) {
    if (pts[i].v < pts[i - 1].v) return { reject: 'energy counter went backwards (reset or wrap): used power instead' };
  }
  const a = counterAtEdge(pts, instant, startMs, opts.gapLimitMs);
  const b = counterAtEdge(pts, instant, endMs, opts.gapLimitMs);
  if (a === undefined || b === undefined) return { reject: 'energy counter not read near both window edges' };
  // The difference is exact whatever the spacing of reads; coverage says how well the window was sampled.
  const coverage = Math.max(coverageOf(pts, startMs, endMs, opts.gapLimitMs), coverageOf(instant, startMs, endMs, opts.gapLimitMs));
  return { joules: Math.max(0, b - a), method: 'counter', coverage, flagged: false };
}

/**
 * Energy of one device over [startMs, endMs]. `samples` must be sorted by time; only the ones
 * around the window are used.
 */
export function windowEnergy(samples: readonly PowerSample[], startMs: number, endMs: number, opts: EnergyOptions): EnergyFigure {
  // The reads around each edge (up to COUNTER_ANCHOR_MS after it, and one before) and instant power between them.
  const around = sliceAround(samples, startMs - ANCHOR_SPAN_MS, endMs + COUNTER_ANCHOR_MS);
  let note: string | undefined;
  const counter: Point[] = [];
  const instant: Point[] = [];
  const average: Point[] = [];
  for (const s of around) {
    if (s.energyJoules !== undefined) counter.push({ t: s.tMs, v: s.energyJoules });
    if (s.powerWatts !== undefined) (s.powerKind === 'average' ? average : instant).push({ t: s.tMs, v: s.powerWatts });
  }
  if (counter.length >= 1) {
    const c = counterEnergy(counter, instant, startMs, endMs, opts);
    if ('joules' in c) {
      // A counter that skipped a stretch: use power there if it covers better.
      if (c.coverage >= 0.999 || instant.length < 2) return c;
      const viaPower = coverageOf(instant, startMs, endMs, opts.gapLimitMs);
      if (viaPower <= c.coverage) return c;
      note = 'energy counter has gaps in this window: used instant power';
    } else note = c.reject;
  }
  for (const [pts, method] of [
    [instant, 'instant'],
    [average, 'average'],
  ] as const) {
    if (pts.length === 0) continue;
    const recovered = method === 'average' && opts.averageWindowMs ? recoveredEnergy(samples, startMs, endMs, opts.averageWindowMs) : null;
    const joules = recovered ? energyBetween(recovered, startMs, endMs) : trapezoidJoules(pts, startMs, endMs);
    if (joules === undefined) continue;
    const fig: EnergyFigure = { joules, method, coverage: coverageOf(pts, startMs, endMs, opts.gapLimitMs), flagged: method === 'average' };
    if (note) fig.note = note;
    if (recovered) fig.note = [note, `power recovered from its ${opts.averageWindowMs! / 1000} s average`].filter(Boolean).join('; ');
    if (method === 'instant' && counter.length > 0) {
      const k = counterScale(samples, endMs, opts);
      if (k) {
        fig.joules = joules * k.factor;
        fig.method = 'scaled';
        fig.note = `instant power x ${k.factor.toFixed(4)} (energy counter over the previous ${(k.spanMs / 1000).toFixed(0)} s)`;
      }
    }
    // No stretch of the window lies between two close samples: a held edge value would be a guess.
    if (fig.coverage === 0) {
      const near = pts.some((p) => p.t >= startMs - opts.gapLimitMs && p.t <= endMs + opts.gapLimitMs);
      return {
        joules: null,
        method: null,
        coverage: 0,
        flagged: false,
        note: near ? 'no two close samples span any of this window' : 'no samples near this window',
      };
    }
    return fig;
  }
  return { joules: null, method: null, coverage: 0, flagged: false, note: note ?? 'no power or energy readings in this window' };
}

/**
 * The device's average power, recovered (boxcar.ts) from the latest flat stretch within the lookback
 * before the window: the same points live and in a report. None there (a long run without a pause):
 * null, and the average is integrated as it is.
 */
function recoveredEnergy(samples: readonly PowerSample[], startMs: number, endMs: number, widthMs: number): Point[] | null {
  const avg: Point[] = [];
  for (const s of sliceAround(samples, startMs - RECOVERY_LOOKBACK_MS, endMs + widthMs))
    if (s.powerWatts !== undefined && s.powerKind === 'average') avg.push({ t: s.tMs, v: s.powerWatts });
  const fromMs = flatStart(avg, widthMs, startMs - RECOVERY_LOOKBACK_MS, startMs);
  if (fromMs === null) return null;
  const rec = recoverEnergy(avg, widthMs, fromMs);
  // Recovered only where the recovery covers the whole window.
  return rec && rec.length > 1 && rec[0].t <= startMs && rec[rec.length - 1].t >= endMs ? rec : null;
}

/** Mean power over a window (the idle baseline), from the same energy figure. */
export function meanWatts(fig: EnergyFigure, startMs: number, endMs: number): number | null {
  if (fig.joules === null || endMs <= startMs) return null;
  return fig.joules / ((endMs - startMs) / 1000);
}

/**
 * Calibration span for {@link counterScale}: at most 30 s, at least 20 s. On the H100 runs, factors
 * from 5-15 s of history (idle-to-load transitions in them) were up to 3 % off; from 20 s on the
 * means landed within ±0.2 % of the counter truth.
 */
export const SCALE_SPAN_MS = 30000;
const SCALE_MIN_SPAN_MS = 20000;

/**
 * How much the energy counter says per joule of integrated instant power, over the stretch of
 * counter readings that ends at or before `endMs` (at most {@link SCALE_SPAN_MS} long, no reset in
 * it, instant power covering it). Used when the counter is read too sparsely to take its difference
 * over one image (NVML's counter read costs ~4 ms of CPU on an H100, so genwatt reads it once a
 * second): the window's instant-power integral times this factor keeps the counter's accuracy over
 * many images and instant power's resolution within one. Only readings before the window's end are
 * used, so the live figure and a later report agree. Null when there is no such stretch or the
 * factor is implausible (outside 0.8..1.25).
 */
export function counterScale(samples: readonly PowerSample[], endMs: number, opts: EnergyOptions): { factor: number; spanMs: number } | null {
  const hi = lowerBound(samples, endMs + 0.5);
  const lo = lowerBound(samples, endMs - SCALE_SPAN_MS - 2000);
  let j = -1;
  for (let k = hi - 1; k >= lo; k--) {
    if (samples[k].energyJoules !== undefined) {
      j = k;
      break;
    }
  }
  if (j < 0) return null;
  const cj = samples[j];
  let i = -1;
  let later = cj.energyJoules!;
  for (let k = j - 1; k >= lo; k--) {
    const s = samples[k];
    if (s.energyJoules === undefined) continue;
    if (s.energyJoules > later) break; // the counter went backwards here (reset): the span starts after it
    if (cj.tMs - s.tMs > SCALE_SPAN_MS) break;
    later = s.energyJoules;
    i = k;
  }
  if (i < 0) return null;
  const ci = samples[i];
  const spanMs = cj.tMs - ci.tMs;
  if (spanMs < SCALE_MIN_SPAN_MS) return null;
  // Every counter step inside the span must go forward.
  let prev = ci.energyJoules!;
  const inst: Point[] = [];
  for (let k = Math.max(lo, i - 1); k <= Math.min(samples.length - 1, j + 1); k++) {
    const s = samples[k];
    if (k >= i && k <= j && s.energyJoules !== undefined) {
      if (s.energyJoules < prev) return null;
      prev = s.energyJoules;
    }
    if (s.powerWatts !== undefined && s.powerKind !== 'average') inst.push({ t: s.tMs, v: s.powerWatts });
  }
  if (coverageOf(inst, ci.tMs, cj.tMs, opts.gapLimitMs) < 0.95) return null;
  const integral = trapezoidJoules(inst, ci.tMs, cj.tMs);
  if (!integral || integral <= 0) return null;
  const factor = (cj.energyJoules! - ci.energyJoules!) / integral;
  if (!(factor >= 0.8 && factor <= 1.25)) return null;
  return { factor, spanMs };
}
