/** Readings the hardware cannot produce (pure): a 700 W-limit GPU, as the H100 of fixtures/traces/h100. */
import { describe, expect, it } from 'vitest';
import { DevicePlausibility } from '../../probes/plausibility.js';

describe('DevicePlausibility', () => {
  it('power above twice the limit is left out as one gap per episode; real peaks (1.33× on the H100 traces) pass', () => {
    const p = new DevicePlausibility('gpu', 700);
    expect(p.check({ deviceId: 'gpu', tMs: 0, powerWatts: 928.2, powerKind: 'instant' }).reading.powerWatts).toBe(928.2);
    const a = p.check({ deviceId: 'gpu', tMs: 100, powerWatts: 5000, powerKind: 'instant', vramUsedBytes: 1 });
    expect(a.reading).toEqual({ deviceId: 'gpu', tMs: 100, vramUsedBytes: 1 });
    expect(a.gapReason).toMatch(/5000\.0 W is more than a 700 W-limit GPU can draw \(1400 W with excursions\)/);
    const b = p.check({ deviceId: 'gpu', tMs: 200, powerWatts: 5000, powerKind: 'instant' });
    expect(b.reading.powerWatts).toBeUndefined();
    expect(b.gapReason).toBeUndefined(); // the same episode
    expect(p.check({ deviceId: 'gpu', tMs: 300, powerWatts: 600, powerKind: 'instant' }).reading.powerWatts).toBe(600);
    expect(p.check({ deviceId: 'gpu', tMs: 400, powerWatts: 5000, powerKind: 'instant' }).gapReason).toBeDefined(); // a new one
  });

  it('no power at full utilization is left out; at idle, low power is real', () => {
    const p = new DevicePlausibility('gpu', 700);
    expect(p.check({ deviceId: 'gpu', tMs: 0, powerWatts: 0.5, powerKind: 'instant', utilizationPercent: 0 }).reading.powerWatts).toBe(0.5);
    const busy = p.check({ deviceId: 'gpu', tMs: 100, powerWatts: 0, powerKind: 'instant', utilizationPercent: 95 });
    expect(busy.reading.powerWatts).toBeUndefined();
    expect(busy.note).toMatch(/0\.00 W at 95 % utilization is not a real reading/);
    // utilization from an earlier reading (NVML reads it once a second) still counts while fresh
    expect(p.check({ deviceId: 'gpu', tMs: 900, powerWatts: 0, powerKind: 'instant' }).reading.powerWatts).toBeUndefined();
    expect(p.check({ deviceId: 'gpu', tMs: 5000, powerWatts: 0, powerKind: 'instant' }).reading.powerWatts).toBe(0);
  });

  it('a counter jump is left out of that value and every later one; a reset starts over', () => {
    const p = new DevicePlausibility('gpu', 700);
    const at = (tMs: number, joules: number, powerWatts?: number) =>
      p.check({ deviceId: 'gpu', tMs, energyJoules: joules, ...(powerWatts ? { powerWatts, powerKind: 'instant' as const } : {}) });
    expect(at(0, 1000, 200).reading.energyJoules).toBe(1000);
    expect(at(100, 1020, 200).reading.energyJoules).toBe(1020);
    const jump = at(200, 3020 + 20, 200); // +2020 J in 0.1 s: 140 J is the most a 700 W GPU can (2×)
    expect(jump.note).toMatch(/the energy counter jumped 2020\.0 J in 0\.10 s \(at most 145\.0 J is possible\): the jump is left out/);
    expect(jump.reading.energyJoules).toBeCloseTo(1040, 9); // what power says was drawn stays in
    expect(at(300, 3060, 200).reading.energyJoules).toBeCloseTo(1060, 9);
    expect(at(400, 1e9, 200).reading.energyJoules).toBeCloseTo(1080, 9); // +10⁹ J: the same
    expect(at(500, 1e9 + 20, 200).reading.energyJoules).toBeCloseTo(1100, 9);
    expect(at(600, 5, 200).reading.energyJoules).toBe(5); // went backwards (a driver reload): starts over
    expect(at(700, 25, 200).reading.energyJoules).toBe(25);
  });

  it('without a known limit, only what no device can do is left out', () => {
    const p = new DevicePlausibility('gpu', undefined);
    expect(p.check({ deviceId: 'gpu', tMs: 0, powerWatts: 3000, powerKind: 'instant' }).reading.powerWatts).toBe(3000);
    p.check({ deviceId: 'gpu', tMs: 0, energyJoules: 0 });
    expect(p.check({ deviceId: 'gpu', tMs: 1000, energyJoules: 4000 }).reading.energyJoules).toBe(4000);
    expect(p.check({ deviceId: 'gpu', tMs: 2000, energyJoules: 1e9 }).note).toMatch(/jumped/);
  });
});
