/**
 * Watches genwatt's own event loop: while it is blocked (a huge file parsed, a slow disk, the OS
 * paging) no sample is taken and no timer fires, so a stall longer than the gap limit is reported as
 * one, with when it began and how long it lasted — a gap that says why, never a silent drop in coverage.
 * The CPU genwatt used meanwhile tells the two causes apart: its own work (CPU time close to the
 * stall) or not being run at all (SIGSTOP, a suspended terminal, a machine starved of CPU).
 */
import type { IntervalPolicy } from './interval-policy.js';
import { timelineNow } from '../../probes/timeline.js';

/**
 * Why no sample could be taken for `stalledMs` (the gap's reason). genwatt's own work is the cause
 * when the CPU it used meanwhile alone would have made the gap (`gapMs`); with less, it was not run
 * (SIGSTOP, a suspended terminal, or a machine too busy to schedule it: there a short slice of work
 * stretches over a long stall).
 */
export function stallReason(stalledMs: number, cpuMs: number, gapMs: number): string {
  const ms = Math.round(stalledMs);
  const cpu = Math.round(cpuMs);
  return cpuMs >= gapMs
    ? `genwatt's event loop was blocked for ${ms} ms by its own work (${cpu} ms of CPU): no sample could be taken`
    : `genwatt did not run for ${ms} ms (${cpu} ms of CPU: stopped, suspended, or starved of CPU by the machine): no sample could be taken`;
}

export class LoopWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private periodMs: number;
  /** Housekeeping run from the same ticks (no timer of its own): at most every `everyMs`. */
  private readonly chores: { everyMs: number; lastMs: number; fn: () => void }[] = [];

  constructor(
    private readonly policy: IntervalPolicy,
    private readonly onStall: (stalledMs: number, fromMs: number, cpuMs: number) => void,
    private readonly now: () => number = timelineNow,
    private readonly cpuMs: () => number = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
  ) {
    // Half the gap limit (at most a second): a stall that long is seen, at a few wake-ups a second.
    this.periodMs = Math.min(1000, Math.max(50, policy.stallGapMs / 2));
  }

  private lastCpuMs = 0;

  /**
   * Starts watching. `externalTickMs`: something else calls {@link tick} that often (the sampler's
   * tick, when it is at least as frequent): one wake-up serves both, and no timer of its own runs.
   */
  start(externalTickMs?: number): void {
    this.started = true;
    this.lastMs = this.now();
    this.lastCpuMs = this.cpuMs();
    for (const c of this.chores) c.lastMs = this.lastMs;
    if (externalTickMs !== undefined && externalTickMs > 0 && externalTickMs <= this.periodMs) {
      this.periodMs = externalTickMs;
      return;
    }
    this.timer = setInterval(() => this.tick(), this.periodMs);
    this.timer.unref?.();
  }

  /** Runs `fn` from the watch's ticks, at most every `everyMs` (the wall-clock step check). */
  every(everyMs: number, fn: () => void): void {
    this.chores.push({ everyMs, lastMs: this.now(), fn });
  }

  private started = false;

  /** One look at the clock (its own timer's, or the sampler's tick); nothing before {@link start}. */
  tick(): void {
    if (!this.started) return;
    const t = this.now();
    const cpu = this.cpuMs();
    const late = t - this.lastMs - this.periodMs;
    if (late > this.policy.stallGapMs) this.onStall(late, this.lastMs + this.periodMs, cpu - this.lastCpuMs);
    this.lastMs = t;
    this.lastCpuMs = cpu;
    for (const c of this.chores)
      if (t - c.lastMs >= c.everyMs) {
        c.lastMs = t;
        c.fn();
      }
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
