/**
 * The time-series vocabulary shared by the energy maths, the dashboard's sources and its widgets:
 * points in epoch ms, a gap as an explicit point without a value (never a 0), binary search by time.
 */

/** A point of a series; `value` undefined marks the start of a gap (drawn as a gap, never as 0). */
export interface SeriesPoint {
  tMs: number;
  value: number | undefined;
}

/**
 * The one binary search: the first index whose item satisfies `after`, which must be false for a
 * prefix of `items` and true for the rest (items sorted by what it tests); `items.length` if none.
 */
export function firstIndex<T>(items: readonly T[], after: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (after(items[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index whose time is >= t (points sorted by time). */
export function lowerBound<T extends { tMs: number }>(points: readonly T[], t: number): number {
  return firstIndex(points, (p) => p.tMs >= t);
}

/** Points relevant to [start, end]: inside it, plus the nearest one on each side. */
export function sliceAround<T extends { tMs: number }>(points: readonly T[], startMs: number, endMs: number): T[] {
  const i = lowerBound(points, startMs);
  let j = lowerBound(points, endMs);
  while (j < points.length && points[j].tMs <= endMs) j++;
  return points.slice(Math.max(0, i - 1), Math.min(points.length, j + 1));
}
