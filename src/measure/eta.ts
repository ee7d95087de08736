/**
 * Time left, from what was measured: images still to come × the steady images' mean seconds (the
 * warm-up is not what the rest will cost), less the time the current image has already taken.
 * Unknown (no target, no steady image yet) is null, never a guess.
 */

export function etaSeconds(o: { done: number; target: number | null; meanSeconds: number | null; sinceLastSeconds?: number }): number | null {
  if (o.target === null || o.meanSeconds === null || !(o.meanSeconds > 0)) return null;
  const left = o.target - o.done;
  if (left <= 0) return 0;
  return Math.max(0, left * o.meanSeconds - Math.max(0, o.sinceLastSeconds ?? 0));
}

/** A mean kept as values come (the plain output's steady seconds, one image at a time). */
export function runningMean(): { add(v: number): void; mean(): number | null } {
  let sum = 0;
  let n = 0;
  return {
    add: (v) => {
      sum += v;
      n++;
    },
    mean: () => (n ? sum / n : null),
  };
}
