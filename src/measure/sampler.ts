/**
 * Runs every probe in parallel: streaming probes deliver each sensor update as it comes; polled
 * probes are read every interval. A poll still in flight at the next tick, or one that fails or
 * times out, is a gap; sampling never waits for anything else.
 */
import { sanitizeReading } from '../../probes/sanity.js';
import type { Probe, ReadingSink } from '../../probes/types.js';
import type { IntervalPolicy } from './interval-policy.js';
import { timelineNow } from '../../probes/timeline.js';

export interface SamplerOptions {
  /** Interval, poll timeout and stall time (src/measure/interval-policy.ts). */
  policy: IntervalPolicy;
  now?: () => number;
}

export class Sampler {
  private timer: NodeJS.Timeout | undefined;
  /** Polls not answered yet, each with when it started. */
  private readonly inFlight = new Map<Probe, { startMs: number }>();
  private readonly lateSince = new Map<Probe, number>();
  private readonly now: () => number;

  private readonly sink: ReadingSink;

  constructor(
    private readonly probes: readonly Probe[],
    sink: ReadingSink,
    private readonly opts: SamplerOptions,
    /** Device ids per probe, for gap records. */
    private readonly devicesOf: (p: Probe) => string[],
  ) {
    this.now = opts.now ?? timelineNow;
    // Every reading, polled or streamed, passes the sanity ranges before anything stores it.
    // (Sinks are class instances too: their methods are called on them, never copied off.)
    this.sink = {
      reading: (r) => sink.reading(sanitizeReading(r)),
      gap: (g) => sink.gap(g),
      note: (probe, message) => sink.note?.(probe, message),
      restart: (probe, reason) => sink.restart?.(probe, reason),
    };
  }

  /**
   * Starts sampling. `onTick` runs at every poll tick too (the loop watch: one wake-up for both).
   * Returns the tick period, or null when no probe is polled (streaming probes only: no tick).
   */
  start(onTick?: () => void): number | null {
    for (const p of this.probes) if (p.start) p.start(this.sink, this.opts.policy);
    const polled = this.probes.filter((p) => p.poll && !p.start);
    if (polled.length === 0) return null;
    const tick = () => {
      // pollOne catches what a probe throws (a gap); what escapes it is a gap too.
      for (const p of polled) this.pollOne(p).catch((err: unknown) => this.gap(p, `${p.name} read failed: ${(err as Error).message}`));
      onTick?.();
    };
    tick();
    this.timer = setInterval(tick, this.opts.policy.intervalMs);
    return this.opts.policy.intervalMs;
  }

  private gap(p: Probe, reason: string): void {
    const tMs = this.now();
    for (const id of this.devicesOf(p)) this.sink.gap({ deviceId: id, probe: p.name, tMs, reason });
  }

  private async pollOne(p: Probe): Promise<void> {
    const now = this.now();
    const pending = this.inFlight.get(p);
    if (pending !== undefined) {
      // No timer per poll (10 a second): the tick itself sees a poll past its time and gives up on it.
      if (now - pending.startMs > this.opts.policy.pollTimeoutMs) {
        this.inFlight.delete(p);
        this.gap(p, `${p.name} read failed: no answer within ${this.opts.policy.pollTimeoutMs} ms`);
      } else if (!this.lateSince.has(p)) {
        this.lateSince.set(p, now);
        this.gap(p, `${p.name} read is late (slower than ${this.opts.policy.intervalMs} ms)`);
      }
      return;
    }
    const token = { startMs: now };
    this.inFlight.set(p, token);
    try {
      const readings = await p.poll!();
      if (this.inFlight.get(p) !== token) return; // given up on: its answer is too old to place
      this.lateSince.delete(p);
      for (const r of readings) this.sink.reading(r);
    } catch (err) {
      if (this.inFlight.get(p) === token) this.gap(p, `${p.name} read failed: ${(err as Error).message}`);
    } finally {
      if (this.inFlight.get(p) === token) this.inFlight.delete(p);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.probes.map((p) => p.close().catch(() => undefined)));
  }
}
