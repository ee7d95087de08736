/**
 * Time left, from what was measured: images still to come × the steady images' mean seconds (the
 * warm-up is not what the rest will cost), less the time the current image has already taken.
 * Unknown (no target, no steady image yet) is null, never a guess.
 */
import type { ImageRow } from '../energy/image-rows.js';

export function etaSeconds(o: { done: number; target: number | null; meanSeconds: number | null; sinceLastSeconds?: number }): number | null {
  if (o.target === null || o.meanSeconds === null || !(o.meanSeconds > 0)) return null;
  const left = o.target - o.done;
  if (left <= 0) return 0;
  return Math.max(0, left * o.meanSeconds - Math.max(0, o.sinceLastSeconds ?? 0));
}

/** The steady images' mean seconds so far (null before the first steady image). */
export function steadyMeanSeconds(rows: readonly ImageRow[]): number | null {
  const s = rows.filter((r) => !r.warmup && !r.blank).map((r) => r.seconds);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
}
