import { describe, expect, it } from 'vitest';
import { PowerHistory } from '../../../src/series/power-history.js';

describe('PowerHistory', () => {
  it('keeps the mean and max per bucket', () => {
    const h = new PowerHistory(0, 1000, 16);
    h.add(100, 10);
    h.add(900, 30);
    h.add(1500, 50);
    expect(h.snapshot()).toEqual([
      { startMs: 0, meanWatts: 20, maxWatts: 30 },
      { startMs: 1000, meanWatts: 50, maxWatts: 50 },
    ]);
  });

  it('merges neighbours when full, so memory is bounded however long the run', () => {
    const h = new PowerHistory(0, 1000, 8);
    for (let t = 0; t < 3600_000; t += 100) h.add(t, 100 + (t % 2000 < 1000 ? 50 : -50));
    const b = h.snapshot();
    expect(b.length).toBeLessThanOrEqual(8);
    expect(h.bucketDurationMs).toBeGreaterThanOrEqual(3600_000 / 8);
    // Means survive merging: the square wave averages to 100 W.
    for (const x of b) expect(x.meanWatts!).toBeCloseTo(100, 0);
    expect(Math.max(...b.map((x) => x.maxWatts!))).toBe(150);
  });

  it('ignores samples before its origin and non-finite values; snapshot stops at a time', () => {
    const h = new PowerHistory(1000, 1000, 16);
    h.add(500, 10);
    h.add(1200, Number.NaN);
    h.add(1300, 40);
    h.add(2500, 60);
    expect(h.snapshot(2000)).toEqual([{ startMs: 1000, meanWatts: 40, maxWatts: 40 }]);
  });

  it('a bucket with no samples between others is unknown, not zero', () => {
    const h = new PowerHistory(0, 1000, 16);
    h.add(0, 10);
    h.add(2500, 10);
    expect(h.snapshot()[1]).toEqual({ startMs: 1000, meanWatts: null, maxWatts: null });
  });
});
