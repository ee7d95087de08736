/**
 * Watches genwatt's own event loop: while it is blocked (a huge file parsed, a slow disk, the OS
 * paging) no sample is taken and no timer fires, so a stall longer than the gap limit is reported as
 * one, with when it began and how long it lasted — a gap that says why, never a silent drop in coverage.
 */
import type { IntervalPolicy } from './interval-policy.js';
import { timelineNow } from '../../probes/timeline.js';

export class LoopWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private readonly periodMs: number;

  constructor(
    private readonly policy: IntervalPolicy,
    private readonly onStall: (stalledMs: number, fromMs: number) => void,
    private readonly now: () => number = timelineNow,
  ) {
    // Half the gap limit (at most a second): a stall that long is seen, at a few wake-ups a second.
    this.periodMs = Math.min(1000, Math.max(50, policy.stallGapMs / 2));
  }

  start(): void {
    this.lastMs = this.now();
    this.timer = setInterval(() => this.tick(), this.periodMs);
    this.timer.unref?.();
  }

  /** Exposed for tests: one look at the clock. */
  tick(): void {
    const t = this.now();
    const late = t - this.lastMs - this.periodMs;
    if (late > this.policy.stallGapMs) this.onStall(late, this.lastMs + this.periodMs);
    this.lastMs = t;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
