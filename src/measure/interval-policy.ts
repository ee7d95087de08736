/**
 * Every time limit that follows from the sampling interval, in one place: the sampler, every probe,
 * the energy windows, the dashboard and the exporter take them from here.
 */
import type { SampleTiming } from '../../probes/types.js';

export interface IntervalPolicy extends SampleTiming {
  intervalMs: number;
  /** Samples further apart than this leave a gap in an energy window's coverage: max(5 × interval, 500 ms). */
  gapLimitMs: number;
  /** A poll slower than this is abandoned and marked as a gap: max(4 × interval, 1 s). */
  pollTimeoutMs: number;
  /** A streaming vendor tool silent this long is killed and restarted: max(5 × interval, 3 s). */
  stallMs: number;
  /** A device whose last reading is older than this shows "no fresh data": the gap limit. */
  staleMs: number;
  /**
   * A metric value older than this is no longer exported (`serve`): max(gap limit, 2 s), since the
   * slow metrics (utilization, temperature, clock; NVML's energy counter) come once a second.
   */
  metricStaleMs: number;
  /** Wait for the readings of a window's end to arrive before integrating it: min(2 × interval, 300 ms). */
  settleMs: number;
  /** An event loop blocked longer than this is a gap in every device's samples (the gap limit). */
  stallGapMs: number;
}

export function intervalPolicy(intervalMs: number): IntervalPolicy {
  const gapLimitMs = Math.max(5 * intervalMs, 500);
  return {
    intervalMs,
    gapLimitMs,
    pollTimeoutMs: Math.max(4 * intervalMs, 1000),
    stallMs: Math.max(5 * intervalMs, 3000),
    staleMs: gapLimitMs,
    metricStaleMs: Math.max(gapLimitMs, 2000),
    settleMs: Math.min(2 * intervalMs, 300),
    stallGapMs: gapLimitMs,
  };
}
