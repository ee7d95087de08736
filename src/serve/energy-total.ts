/**
 * A device's energy since `serve` started, for the exporter's `_joules_total` counter: it only ever
 * grows. Counter differences when the device has an energy counter (a reset or a probe restart that
 * starts the counter again adds nothing), else power integrated between samples no further apart
 * than the gap limit (a gap adds nothing: unknown energy is left out, never guessed).
 */
import type { Reading } from '../../probes/types.js';

/** A counter reading older than this no longer decides the method (the counter was withdrawn). */
const COUNTER_FRESH_MS = 5000;

export class EnergyTotal {
  /** Joules accumulated so far. */
  joules = 0;
  /** How the last increment was obtained. */
  method: 'counter' | 'instant' | 'average' | undefined;
  private counter: { tMs: number; joules: number } | undefined;
  private power: { tMs: number; watts: number } | undefined;

  constructor(
    private readonly gapLimitMs: number,
    /** The device's power limit, to reject counter jumps no GPU could make. */
    private readonly maxWatts?: number,
  ) {}

  add(r: Reading): void {
    if (r.energyJoules !== undefined && Number.isFinite(r.energyJoules)) {
      const prev = this.counter;
      this.counter = { tMs: r.tMs, joules: r.energyJoules };
      if (prev && r.tMs > prev.tMs) {
        const d = r.energyJoules - prev.joules;
        const plausible = this.maxWatts === undefined || d <= this.maxWatts * 2 * ((r.tMs - prev.tMs) / 1000) + 1;
        if (d >= 0 && plausible) {
          this.joules += d;
          this.method = 'counter';
        }
      }
    }
    if (r.powerWatts === undefined || !Number.isFinite(r.powerWatts) || r.powerWatts < 0) return;
    const prev = this.power;
    if (prev && r.tMs <= prev.tMs) return; // late or repeated sample
    this.power = { tMs: r.tMs, watts: r.powerWatts };
    if (this.counter && r.tMs - this.counter.tMs < COUNTER_FRESH_MS) return;
    if (!prev || r.tMs - prev.tMs > this.gapLimitMs) return;
    // Trapezoid for instant power; an average power's value already stands for the interval before it.
    const w = r.powerKind === 'average' ? r.powerWatts : (prev.watts + r.powerWatts) / 2;
    this.joules += (w * (r.tMs - prev.tMs)) / 1000;
    this.method = r.powerKind === 'average' ? 'average' : 'instant';
  }

  /** A gap: the next sample starts a new stretch (nothing is integrated across it). */
  gap(): void {
    this.power = undefined;
  }
}
