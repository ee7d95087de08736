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
  private readonly inFlight = new Set<Probe>();
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

  start(): void {
    for (const p of this.probes) if (p.start) p.start(this.sink, this.opts.policy);
    const polled = this.probes.filter((p) => p.poll && !p.start);
    if (polled.length === 0) return;
    const tick = () => {
      // pollOne catches what a probe throws (a gap); what escapes it is a gap too.
      for (const p of polled) this.pollOne(p).catch((err: unknown) => this.gap(p, `${p.name} read failed: ${(err as Error).message}`));
    };
    tick();
    this.timer = setInterval(tick, this.opts.policy.intervalMs);
  }

  private gap(p: Probe, reason: string): void {
    const tMs = this.now();
    for (const id of this.devicesOf(p)) this.sink.gap({ deviceId: id, probe: p.name, tMs, reason });
  }

  private async pollOne(p: Probe): Promise<void> {
    if (this.inFlight.has(p)) {
      if (!this.lateSince.has(p)) {
        this.lateSince.set(p, this.now());
        this.gap(p, `${p.name} read is late (slower than ${this.opts.policy.intervalMs} ms)`);
      }
      return;
    }
    this.inFlight.add(p);
    const timeoutMs = this.opts.policy.pollTimeoutMs;
    let timeout: NodeJS.Timeout | undefined;
    try {
      const readings = await Promise.race([
        p.poll!(),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.lateSince.delete(p);
      for (const r of readings) this.sink.reading(r);
    } catch (err) {
      this.gap(p, `${p.name} read failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(p);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.probes.map((p) => p.close().catch(() => undefined)));
  }
}
