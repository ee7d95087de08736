/** Energy math edge cases (pure). */
import { describe, expect, it } from 'vitest';
import { coverageOf, windowEnergy, type PowerSample } from '../../src/energy.js';

const inst = (pts: [number, number][]): PowerSample[] => pts.map(([t, w]) => ({ tMs: t, powerWatts: w, powerKind: 'instant' }));
const opts = { gapLimitMs: 500 };

describe('windowEnergy', () => {
  it('integrates instant power by trapezoid, with interpolated edges', () => {
    const s = inst([[0, 100], [1000, 100], [2000, 300]]);
    expect(windowEnergy(s, 0, 2000, { gapLimitMs: 2000 })).toMatchObject({ joules: 300, method: 'instant', coverage: 1, flagged: false });
    expect(windowEnergy(s, 0, 2000, opts).coverage).toBe(0); // 1 s between samples is a gap at a 500 ms limit
    expect(windowEnergy(s, 1500, 2000, opts).joules).toBeCloseTo(125, 6);
  });

  it('prefers the counter and reads it at the window edges', () => {
    const s: PowerSample[] = [0, 100, 200, 300].map((t) => ({ tMs: t, energyJoules: 1000 + t / 10, powerWatts: 999, powerKind: 'instant' }));
    expect(windowEnergy(s, 0, 300, opts)).toMatchObject({ joules: 30, method: 'counter' });
  });

  it('a counter that goes backwards (driver reload) is not trusted: power is used and it says why', () => {
    const s: PowerSample[] = [
      { tMs: 0, energyJoules: 5000, powerWatts: 100, powerKind: 'instant' },
      { tMs: 500, energyJoules: 10, powerWatts: 100, powerKind: 'instant' },
      { tMs: 1000, energyJoules: 60, powerWatts: 100, powerKind: 'instant' },
    ];
    const f = windowEnergy(s, 0, 1000, opts);
    expect(f.method).toBe('instant');
    expect(f.joules).toBeCloseTo(100, 6);
    expect(f.note).toMatch(/backwards/);
  });

  it('average power is integrated only with the flag', () => {
    const s: PowerSample[] = [0, 500, 1000].map((t) => ({ tMs: t, powerWatts: 50, powerKind: 'average' }));
    expect(windowEnergy(s, 0, 1000, opts)).toMatchObject({ joules: 50, method: 'average', flagged: true });
  });

  it('a gap lowers coverage; no samples near the window is unknown (null), never 0', () => {
    const s = inst([[0, 100], [100, 100], [2000, 100], [2100, 100]]);
    const f = windowEnergy(s, 0, 2100, opts);
    expect(f.coverage).toBeCloseTo(200 / 2100, 6);
    expect(windowEnergy(inst([[0, 100]]), 10000, 11000, opts)).toMatchObject({ joules: null, method: null, coverage: 0 });
    expect(windowEnergy([], 0, 1000, opts).joules).toBeNull();
  });

  it('coverage of a fully sampled window is 1', () => {
    expect(coverageOf([{ t: 0, v: 1 }, { t: 100, v: 1 }, { t: 200, v: 1 }], 50, 150, 500)).toBe(1);
  });
});
