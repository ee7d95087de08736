/** Energy math edge cases (pure). */
import { describe, expect, it } from 'vitest';
import { counterScale, coverageOf, windowEnergy, type PowerSample } from '../../../src/energy/window-energy.js';

const inst = (pts: [number, number][]): PowerSample[] => pts.map(([t, w]) => ({ tMs: t, powerWatts: w, powerKind: 'instant' }));
const opts = { gapLimitMs: 500 };

describe('windowEnergy', () => {
  it('integrates instant power by trapezoid, with interpolated edges', () => {
    const s = inst([
      [0, 100],
      [1000, 100],
      [2000, 300],
    ]);
    expect(windowEnergy(s, 0, 2000, { gapLimitMs: 2000 })).toMatchObject({ joules: 300, method: 'instant', coverage: 1, flagged: false });
    expect(windowEnergy(s, 0, 2000, opts).coverage).toBe(0); // 1 s between samples is a gap at a 500 ms limit
    // A window wholly inside a gap has no figure: interpolating across the gap would be a guess.
    expect(windowEnergy(s, 1500, 2000, opts)).toMatchObject({ joules: null, coverage: 0, note: 'no two close samples span any of this window' });
    expect(windowEnergy(s, 1500, 2000, { gapLimitMs: 1000 }).joules).toBeCloseTo(125, 6);
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
    const s = inst([
      [0, 100],
      [100, 100],
      [2000, 100],
      [2100, 100],
    ]);
    const f = windowEnergy(s, 0, 2100, opts);
    expect(f.coverage).toBeCloseTo(200 / 2100, 6);
    expect(windowEnergy(inst([[0, 100]]), 10000, 11000, opts)).toMatchObject({ joules: null, method: null, coverage: 0 });
    expect(windowEnergy([], 0, 1000, opts).joules).toBeNull();
  });

  it('coverage of a fully sampled window is 1', () => {
    expect(
      coverageOf(
        [
          { t: 0, v: 1 },
          { t: 100, v: 1 },
          { t: 200, v: 1 },
        ],
        50,
        150,
        500,
      ),
    ).toBe(1);
  });
});

describe('counterScale: instant power scaled to a sparsely read energy counter', () => {
  // Instant power reads 10 % low against the counter; the counter is read once a second.
  const samples = Array.from({ length: 400 }, (_, i) => {
    const tMs = i * 100;
    const s: { tMs: number; powerWatts: number; powerKind: 'instant'; energyJoules?: number } = { tMs, powerWatts: 90, powerKind: 'instant' };
    if (i % 10 === 0) s.energyJoules = 1000 + (tMs / 1000) * 100;
    return s;
  });
  // The same, the counter read only every 8 s: too far apart to place an edge between two reads.
  const rare = samples.map((s) => (s.energyJoules !== undefined && s.tMs % 8000 !== 0 ? { ...s, energyJoules: undefined } : s));

  it('finds the factor over the readings before the window end and scales the window', () => {
    const k = counterScale(samples, 20_050, { gapLimitMs: 500 })!;
    expect(k.factor).toBeCloseTo(100 / 90, 6);
    expect(k.spanMs).toBe(20_000);
    const fig = windowEnergy(rare, 24_200, 24_800, { gapLimitMs: 500 });
    expect(fig.method).toBe('scaled');
    expect(fig.joules!).toBeCloseTo(60, 6); // 0.6 s at the counter's 100 W
    expect(fig.note).toMatch(/instant power x 1\.1111/);
  });

  it('needs 20 s of counter history; a reset inside the span cuts it; implausible factors are refused', () => {
    expect(counterScale(samples, 19_000, { gapLimitMs: 500 })).toBeNull();
    expect(windowEnergy(rare, 12_200, 12_800, { gapLimitMs: 500 }).method).toBe('instant');
    const reset = samples.map((s) => (s.energyJoules !== undefined && s.tMs >= 10_000 ? { ...s, energyJoules: s.energyJoules - 2000 } : s));
    expect(counterScale(reset, 25_050, { gapLimitMs: 500 })).toBeNull(); // only 15 s since the reset
    expect(counterScale(reset, 35_050, { gapLimitMs: 500 })!.spanMs).toBe(25_000);
    const wild = samples.map((s) => (s.energyJoules !== undefined ? { ...s, energyJoules: s.energyJoules * 3 } : s));
    expect(counterScale(wild, 20_050, { gapLimitMs: 500 })).toBeNull();
  });

  it('reads a second apart: each edge between the read before and after it, the energy between them shared out by instant power', () => {
    // Flat power: the counter's 100 W, whatever instant power says.
    const flat = windowEnergy(samples, 20_250, 20_850, { gapLimitMs: 500 });
    expect(flat.method).toBe('counter');
    expect(flat.joules!).toBeCloseTo(60, 6);
    // Power that steps inside the second: instant power says where the joules fall, the counter how many.
    const stepped = samples.map((s) => (s.tMs > 20_000 && s.tMs < 21_000 ? { ...s, powerWatts: s.tMs >= 20_500 ? 270 : 90 } : s));
    const burst = stepped.map((s) => (s.energyJoules !== undefined && s.tMs >= 21_000 ? { ...s, energyJoules: s.energyJoules + 90 } : s));
    const first = windowEnergy(burst, 20_000, 20_500, { gapLimitMs: 500 });
    const second = windowEnergy(burst, 20_500, 21_000, { gapLimitMs: 500 });
    expect(first.method).toBe('counter');
    expect(first.joules! + second.joules!).toBeCloseTo(190, 6); // the counter's own difference
    expect(second.joules! / first.joules!).toBeGreaterThan(2); // where instant power put it
    // Windows that tile a stretch add up to the counter's difference over it, whatever their edges.
    const edges = [20_130, 20_370, 20_940, 21_420, 22_060];
    let sum = 0;
    for (let i = 1; i < edges.length; i++) sum += windowEnergy(burst, edges[i - 1], edges[i], { gapLimitMs: 500 }).joules!;
    expect(sum).toBeCloseTo(windowEnergy(burst, 20_130, 22_060, { gapLimitMs: 500 }).joules!, 6);
  });

  it('reads 400 ms apart beside averaged power only (an amd-smi accumulator): a read up to 120 ms before an edge is held', () => {
    const amd = Array.from({ length: 100 }, (_, i) => ({ tMs: i * 400, powerWatts: 6, powerKind: 'average' as const, energyJoules: 50 + i * 0.4 * 6 }));
    const fig = windowEnergy(amd, 10_100, 12_110, { gapLimitMs: 2000 });
    expect(fig.method).toBe('counter');
    expect(fig.joules!).toBeCloseTo(2 * 6, 6); // the reads at 10.0 and 12.0 s
  });

  it('no edge between reads where instant power has a gap there, or no read follows within 3.5 s', () => {
    const holed = samples.filter((s) => s.energyJoules !== undefined || s.tMs < 20_200 || s.tMs > 20_800);
    expect(windowEnergy(holed, 20_300, 21_300, { gapLimitMs: 500 }).method).not.toBe('counter');
    const early = samples.filter((s) => s.tMs <= 20_000 || s.energyJoules === undefined);
    expect(windowEnergy(early, 20_300, 20_600, { gapLimitMs: 500 }).method).not.toBe('counter');
  });

  it('a dense counter is still used directly', () => {
    const dense = samples.map((s) => ({ ...s, energyJoules: 1000 + (s.tMs / 1000) * 100 }));
    expect(windowEnergy(dense, 20_000, 20_600, { gapLimitMs: 500 }).method).toBe('counter');
  });
});
