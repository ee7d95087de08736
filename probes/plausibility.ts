/**
 * Readings the hardware cannot produce, per device (after sanity.ts has dropped values no device
 * can have at all): power far above the device's enforced limit, no power at full utilization, an
 * energy counter that advanced faster than the limit allows. On the real H100 traces
 * (fixtures/traces/h100) instant power peaks at 928 W under a 700 W limit (1.33×) and never falls
 * below 111 W at ≥ 90 % utilization; genwatt allows twice the limit, and 1 W at full utilization.
 * What fails is left out — a gap for power, the jump for a counter — and said once per episode.
 */
import type { Reading } from './types.js';

/** Power (and counter advance) up to this multiple of the enforced limit is possible. */
export const LIMIT_EXCURSION = 2;
/** Without a known limit, no single device's counter advances faster than this. */
const UNKNOWN_LIMIT_MAX_WATTS = 5000;
/** Below this at full utilization a GPU reports no real power. */
const BUSY_MIN_WATTS = 1;
const BUSY_PERCENT = 90;
/** Utilization this old no longer says whether the GPU is busy now. */
const UTIL_FRESH_MS = 2000;
/** A counter step this much over what the limit allows is a jump (rounding, a read's own latency). */
const COUNTER_SLACK_JOULES = 5;

export interface PlausibilityVerdict {
  /** The reading to use (the same object when nothing was dropped). */
  reading: Reading;
  /** A new episode of dropped power: record a gap with this reason. */
  gapReason?: string;
  /** Something to say (once per episode). */
  note?: string;
}

export class DevicePlausibility {
  private lastUtil: { tMs: number; percent: number } | undefined;
  private lastPowerWatts: number | undefined;
  private lastCounter: { tMs: number; joules: number } | undefined;
  private lastRawJoules: number | undefined;
  /** Joules left out of the counter after jumps (subtracted from every later value). */
  private counterOffset = 0;
  private powerEpisode: 'over-limit' | 'zero-busy' | undefined;
  private lastMeasuredMs = -Infinity;
  private saidOutOfOrder = false;

  /** Power and energy stay in time order per device (a stored session is checked for it): an earlier one is stripped. */
  private inOrder(r: Reading): Reading {
    if (r.powerWatts === undefined && r.energyJoules === undefined) return r;
    if (r.tMs >= this.lastMeasuredMs) {
      this.lastMeasuredMs = r.tMs;
      return r;
    }
    const { powerWatts: _p, powerKind: _k, energyJoules: _e, ...rest } = r;
    return rest;
  }

  constructor(
    private readonly name: string,
    private readonly limitWatts: number | undefined,
  ) {}

  private get maxWatts(): number | undefined {
    return this.limitWatts !== undefined && this.limitWatts > 0 ? this.limitWatts * LIMIT_EXCURSION : undefined;
  }

  check(input: Reading): PlausibilityVerdict {
    const r = this.inOrder(input);
    const early =
      r !== input && !this.saidOutOfOrder
        ? `${this.name}: a power reading stamped ${(this.lastMeasuredMs - input.tMs).toFixed(0)} ms before the one already recorded was left out (readings are kept in time order)`
        : undefined;
    if (early) this.saidOutOfOrder = true;
    if (r.utilizationPercent !== undefined) this.lastUtil = { tMs: r.tMs, percent: r.utilizationPercent };
    let out: Reading | undefined;
    const v: PlausibilityVerdict = { reading: r };
    if (r.powerWatts !== undefined) {
      const busy = this.lastUtil !== undefined && r.tMs - this.lastUtil.tMs <= UTIL_FRESH_MS && this.lastUtil.percent >= BUSY_PERCENT;
      const max = this.maxWatts;
      const why =
        max !== undefined && r.powerWatts > max ? ('over-limit' as const) : busy && r.powerWatts < BUSY_MIN_WATTS ? ('zero-busy' as const) : undefined;
      if (why) {
        out = { ...r };
        delete out.powerWatts;
        delete out.powerKind;
        if (this.powerEpisode !== why) {
          this.powerEpisode = why;
          const msg =
            why === 'over-limit'
              ? `${this.name}: ${r.powerWatts.toFixed(1)} W is more than a ${this.limitWatts} W-limit GPU can draw (${max} W with excursions): left out as a gap`
              : `${this.name}: ${r.powerWatts.toFixed(2)} W at ${this.lastUtil!.percent} % utilization is not a real reading: left out as a gap`;
          v.gapReason = msg;
          v.note = msg;
        }
      } else {
        this.powerEpisode = undefined;
        this.lastPowerWatts = r.powerWatts;
      }
    }
    if (r.energyJoules !== undefined) {
      // A counter that went backwards restarted (a driver reload): whatever was left out went with it.
      if (this.lastRawJoules !== undefined && r.energyJoules < this.lastRawJoules) {
        this.counterOffset = 0;
        this.lastCounter = undefined;
      }
      this.lastRawJoules = r.energyJoules;
      const prev = this.lastCounter;
      let joules = r.energyJoules - this.counterOffset;
      if (prev && r.tMs > prev.tMs && joules > prev.joules) {
        const seconds = (r.tMs - prev.tMs) / 1000;
        const allowed = (this.maxWatts ?? UNKNOWN_LIMIT_MAX_WATTS) * seconds + COUNTER_SLACK_JOULES;
        const step = joules - prev.joules;
        if (step > allowed) {
          // What power says was drawn meanwhile stays in; the rest of the step is left out, now and after.
          const drawn = (this.lastPowerWatts ?? 0) * seconds;
          this.counterOffset += step - drawn;
          joules = prev.joules + drawn;
          const msg = `${this.name}: the energy counter jumped ${step.toFixed(1)} J in ${seconds.toFixed(2)} s (at most ${allowed.toFixed(1)} J is possible): the jump is left out`;
          v.note = v.note ? `${v.note}; ${msg}` : msg;
        }
      }
      this.lastCounter = { tMs: r.tMs, joules };
      if (joules !== r.energyJoules) {
        out ??= { ...r };
        out.energyJoules = joules;
      }
    }
    if (out) v.reading = out;
    if (early) v.note = v.note ? `${v.note}; ${early}` : early;
    return v;
  }
}
