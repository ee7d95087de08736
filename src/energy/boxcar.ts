/**
 * Power as drawn, recovered from a running average (pure). A source that reports only the mean over
 * the last W ms (NVIDIA's `power.draw` on Ampere and newer: W = 1 s) hides when the energy was drawn:
 * integrated as if it were instant power it lags by about W/2, moving energy into the next image
 * and off the end of a run (−2.5 % on a real H100 trace of short batches).
 *
 * The average is not noise: W·P̄(t) = E(t) − E(t−W), so P(t) − P(t−W) = W·dP̄/dt. From a start S the
 * power is recovered one width at a time (as energy: E(t) = E(t−W) + W·P̄(t)). On the first width [S, S+W]
 * only its mean is known — P̄(S+W), exactly — and the recovery starts from that constant, which
 * makes every later width-W integral of the recovered power equal W·P̄ exactly; only the shape within
 * a width stays an estimate. No step between samples may exceed W: otherwise null (not recovered).
 */
import type { DeviceInfo } from '../../probes/types.js';

export interface Point {
  t: number;
  v: number;
}

/**
 * How far before a window the recovery may start, ms. It starts on the latest stretch there where the
 * average stays flat for two widths (the power under it was steady: the first width's shape is then
 * known too, and no error repeats width after width). A live run keeps samples this far back, so a
 * run and its report recover the same power.
 */
export const RECOVERY_LOOKBACK_MS = 30_000;
/** Flat: the average moves less than this share of its value (or 2 W) over two widths. */
const FLAT_SHARE = 0.01;
const FLAT_WATTS = 2;

function valueAt(points: readonly Point[], t: number): number {
  if (t <= points[0].t) return points[0].v;
  const last = points[points.length - 1];
  if (t >= last.t) return last.v;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].t <= t) lo = mid;
    else hi = mid;
  }
  const a = points[lo];
  const b = points[hi];
  return b.t === a.t ? b.v : a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
}

/**
 * The latest start whose two flat widths end by `atMs` (and begin after `notBeforeMs`), or null. Only
 * samples before `atMs` decide it: a live run, which has fewer samples after a window, finds the same.
 */
export function flatStart(points: readonly Point[], widthMs: number, notBeforeMs: number, atMs: number): number | null {
  let j = points.length - 1;
  while (j >= 0 && points[j].t > atMs - 2 * widthMs) j--;
  for (; j >= 0 && points[j].t >= notBeforeMs; j--) {
    const s = points[j].t;
    let lo = Infinity;
    let hi = -Infinity;
    let k = j;
    for (; k < points.length && points[k].t <= s + 2 * widthMs; k++) {
      lo = Math.min(lo, points[k].v);
      hi = Math.max(hi, points[k].v);
    }
    if (hi - lo <= Math.max(FLAT_WATTS, FLAT_SHARE * hi)) return s;
  }
  return null;
}

/**
 * The energy drawn since `fromMs`, J, at each average sample from `fromMs` on (sorted points of a
 * `widthMs` boxcar average), or null. Recovered as energy, not power: E(t) = E(t−W) + W·P̄(t) needs
 * no derivative, so a sample's timing error moves the energy by W·ΔP̄ rather than W/Δt times it (a
 * replay with 50 ms sample jitter: −1.8 % on a run's mean as power, within ±0.3 % as energy).
 */
export function recoverEnergy(points: readonly Point[], widthMs: number, fromMs: number): Point[] | null {
  let i = 0;
  while (i < points.length && points[i].t < fromMs) i++;
  const pts = points.slice(i);
  if (pts.length < 2 || pts[pts.length - 1].t - pts[0].t < widthMs) return null;
  const start = pts[0].t;
  const meanOfFirst = valueAt(pts, start + widthMs);
  const out: Point[] = [];
  for (let k = 0; k < pts.length; k++) {
    const p = pts[k];
    if (k > 0) {
      const dt = p.t - pts[k - 1].t;
      if (dt > widthMs) return null; // a gap: what the average hid there cannot be recovered
      if (dt <= 0) continue;
    }
    const e = p.t <= start + widthMs ? (meanOfFirst * (p.t - start)) / 1000 : valueAt(out, p.t - widthMs) + (widthMs * p.v) / 1000;
    out.push({ t: p.t, v: e });
  }
  return out;
}

/** The recovered power, W, over each step between average samples from `fromMs` on (see recoverEnergy), or null. */
export function recoverBoxcar(points: readonly Point[], widthMs: number, fromMs: number): Point[] | null {
  const e = recoverEnergy(points, widthMs, fromMs);
  if (!e) return null;
  return e.map((p, k) => ({ t: p.t, v: k === 0 ? valueAt(points, p.t) : ((p.v - e[k - 1].v) * 1000) / (p.t - e[k - 1].t) }));
}

/** The energy between two times from recovered cumulative energy (linear between its points), J. */
export function energyBetween(energy: readonly Point[], startMs: number, endMs: number): number {
  return valueAt(energy, endMs) - valueAt(energy, startMs);
}

/** Each device whose `average` power is a known boxcar: its width, ms. */
export function averageWindows(devices: readonly DeviceInfo[]): ReadonlyMap<string, number> {
  return new Map(devices.filter((d) => d.powerAverageMs !== undefined).map((d) => [d.id, d.powerAverageMs!]));
}
