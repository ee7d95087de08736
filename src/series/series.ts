/**
 * The time-series vocabulary shared by the energy maths, the dashboard's sources and its widgets:
 * points in epoch ms, a gap as an explicit point without a value (never a 0), binary search by time.
 */

/** A point of a series; `value` undefined marks the start of a gap (drawn as a gap, never as 0). */
export interface SeriesPoint {
  tMs: number;
  value: number | undefined;
}

/** First index whose time is >= t (binary search over points sorted by time). */
export function lowerBound<T extends { tMs: number }>(points: readonly T[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].tMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Points relevant to [start, end]: inside it, plus the nearest one on each side. */
export function sliceAround<T extends { tMs: number }>(points: readonly T[], startMs: number, endMs: number): T[] {
  const i = lowerBound(points, startMs);
  let j = lowerBound(points, endMs);
  while (j < points.length && points[j].tMs <= endMs) j++;
  return points.slice(Math.max(0, i - 1), Math.min(points.length, j + 1));
}
