/**
 * Sparkline maths (pure): resampling a time series into one value per column, and drawing it.
 * Unknown is never drawn as zero: a column without data is a space.
 */
import { lowerBound, type SeriesPoint } from '../src/series/series.js';
import type { Glyphs } from './glyphs.js';

export interface ResampleOptions {
  fromMs: number;
  toMs: number;
  columns: number;
  /** A value is carried into following empty columns for at most this long (the sampler's gap limit). */
  holdMs: number;
}

/**
 * One value per column over [fromMs, toMs): the mean of the points in the column; an empty column
 * repeats the previous value while it is younger than `holdMs` and no gap started since; else null.
 */
export function resample(points: readonly SeriesPoint[], o: ResampleOptions): (number | null)[] {
  const out: (number | null)[] = new Array(Math.max(0, o.columns)).fill(null);
  if (o.columns <= 0 || !(o.toMs > o.fromMs)) return out;
  const dt = (o.toMs - o.fromMs) / o.columns;
  let i = lowerBound(points, o.fromMs);
  // What was known just before the window.
  let held: { value: number; tMs: number } | null = null;
  if (i > 0 && points[i - 1].value !== undefined) held = { value: points[i - 1].value!, tMs: points[i - 1].tMs };
  for (let c = 0; c < o.columns; c++) {
    const end = o.fromMs + (c + 1) * dt;
    let sum = 0;
    let n = 0;
    let gapped = false;
    while (i < points.length && points[i].tMs < end) {
      const p = points[i++];
      if (p.value === undefined) {
        gapped = true;
        held = null;
      } else {
        sum += p.value;
        n++;
        held = { value: p.value, tMs: p.tMs };
      }
    }
    if (n > 0) out[c] = sum / n;
    else if (!gapped && held && o.fromMs + c * dt - held.tMs <= o.holdMs) out[c] = held.value;
  }
  return out;
}

export interface SparkOptions {
  /** Value drawn as the lowest level (default 0). */
  min?: number;
  /** Value drawn as the full level (default: the largest value). */
  max?: number;
}

/** Draws values as a string of level glyphs, one per value; null is a space (a gap). */
export function sparkline(values: readonly (number | null)[], glyphs: Glyphs, o: SparkOptions = {}): string {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const min = o.min ?? 0;
  const max = o.max ?? (known.length ? Math.max(...known) : 1);
  const span = max - min;
  const top = glyphs.levels.length - 1;
  let s = '';
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) {
      s += ' ';
      continue;
    }
    const f = span > 0 ? (v - min) / span : 1;
    s += glyphs.levels[Math.max(0, Math.min(top, Math.round(f * top)))];
  }
  return s;
}

/** A horizontal bar `width` cells wide filled to fraction `f` (null: all empty). */
export function bar(f: number | null, width: number, glyphs: Glyphs): string {
  if (width <= 0) return '';
  const n = f === null || !Number.isFinite(f) ? 0 : Math.max(0, Math.min(width, Math.round(f * width)));
  return glyphs.barFull.repeat(n) + glyphs.barEmpty.repeat(width - n);
}
