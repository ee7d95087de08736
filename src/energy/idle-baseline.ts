/** Idle power over a window before the run (pure), per GPU and summed: the base of every net figure. */
import type { EnergyMethod } from '../../probes/types.js';
import type { DeviceSeries } from './image-rows.js';
import { meanWatts, windowEnergy } from './window-energy.js';

/** Idle power measured before the run. */
export interface IdleBaseline {
  startMs: number;
  endMs: number;
  devices: { deviceId: string; watts: number | null; method: EnergyMethod | null; coverage: number; flagged: boolean; meter?: boolean }[];
  /** Sum over GPUs; null when any GPU's idle power is unknown (never a partial sum). */
  totalWatts: number | null;
}

export function idleBaseline(series: readonly DeviceSeries[], startMs: number, endMs: number, gapLimitMs: number): IdleBaseline {
  const devices = series.map((s) => {
    const fig = windowEnergy(s.samples, startMs, endMs, { gapLimitMs: s.gapLimitMs ?? gapLimitMs, averageWindowMs: s.averageWindowMs });
    const d: IdleBaseline['devices'][number] = {
      deviceId: s.deviceId,
      watts: meanWatts(fig, startMs, endMs),
      method: fig.method,
      coverage: fig.coverage,
      flagged: fig.flagged,
    };
    if (s.meter) d.meter = true;
    return d;
  });
  // The GPUs' sum: an external meter's idle stands apart (its own net figures).
  const gpus = devices.filter((d) => !d.meter);
  const known = gpus.length > 0 && gpus.every((d) => d.watts !== null);
  return { startMs, endMs, devices, totalWatts: known ? gpus.reduce((a, d) => a + d.watts!, 0) : null };
}
