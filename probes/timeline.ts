/**
 * genwatt's one timeline: epoch milliseconds as the wall clock read at start-up, advanced by the
 * monotonic clock from then on. Samples, energy windows and durations use it, so a wall-clock step
 * (an NTP correction; a Jetson without an RTC setting its clock after boot) moves none of them; the
 * wall clock only labels (ISO dates, file names). Times stamped by the wall clock — file mtimes, a
 * vendor tool's timestamps — are mapped onto the timeline by their age (wallTimeOnTimeline).
 */
const wall0 = Date.now();
const mono0 = performance.now();

/** Now on genwatt's timeline (epoch ms, monotonic). */
export function timelineNow(): number {
  return wall0 + (performance.now() - mono0);
}

/** How far the wall clock is from the timeline now: 0 until the wall clock steps. */
export function wallOffsetMs(): number {
  return Date.now() - timelineNow();
}

/**
 * A wall-clock time (a file's mtime, a tool's timestamp) on the timeline: `nowMs` less its age as
 * the wall clock tells it now, never later than now, never earlier than `notBeforeMs`. `off` is how
 * far outside those bounds the wall clock put it (0 when it fit): a step between the stamp and now,
 * or a wall clock that is not the one that stamped it.
 */
export function wallTimeOnTimeline(wallMs: number, nowMs: number, notBeforeMs = -Infinity): { tMs: number; offMs: number } {
  const raw = nowMs - (Date.now() - wallMs);
  const tMs = Math.min(nowMs, Math.max(notBeforeMs, raw));
  return { tMs, offMs: Math.abs(raw - tMs) };
}

/**
 * Watches the wall clock against the timeline: `check()` returns the size of a step (ms, signed)
 * when the wall clock moved more than `thresholdMs` since the last check, else null.
 */
export class WallStepDetector {
  private last = wallOffsetMs();
  constructor(private readonly thresholdMs = 1000) {}

  check(): number | null {
    const now = wallOffsetMs();
    const step = now - this.last;
    this.last = now;
    return Math.abs(step) > this.thresholdMs ? step : null;
  }
}
