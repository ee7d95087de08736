import { describe, expect, it } from 'vitest';
import { firstIndex, lowerBound } from '../../../src/series/series.js';
import { counterAt, interpolate } from '../../../src/energy/window-energy.js';

describe('the one binary search', () => {
  it('finds the first item past the boundary, the length when none, 0 when all', () => {
    const xs = [1, 2, 2, 2, 5, 9];
    expect(firstIndex(xs, (x) => x >= 2)).toBe(1);
    expect(firstIndex(xs, (x) => x > 2)).toBe(4);
    expect(firstIndex(xs, (x) => x > 9)).toBe(6);
    expect(firstIndex(xs, () => true)).toBe(0);
    expect(firstIndex([], () => true)).toBe(0);
    // against a scan, on every boundary of a sorted list with repeats
    const ys = [0, 0, 1, 3, 3, 3, 4, 8, 8];
    for (let t = -1; t <= 9; t += 0.5)
      expect(
        lowerBound(
          ys.map((v) => ({ tMs: v })),
          t,
        ),
      ).toBe(ys.findIndex((v) => v >= t) === -1 ? ys.length : ys.findIndex((v) => v >= t));
  });

  it('interpolation and the counter staircase read the right neighbours, at the ends too', () => {
    const pts = [
      { t: 0, v: 0 },
      { t: 10, v: 100 },
      { t: 20, v: 100 },
      { t: 30, v: 400 },
    ];
    expect(interpolate(pts, 0)).toBe(0);
    expect(interpolate(pts, 5)).toBe(50);
    expect(interpolate(pts, 25)).toBe(250);
    expect(interpolate(pts, 30)).toBe(400);
    expect(interpolate(pts, 31)).toBeUndefined();
    expect(interpolate([{ t: 3, v: 7 }], 3)).toBe(7);
    expect(counterAt(pts, 29.9)).toBe(100);
    expect(counterAt(pts, 30)).toBe(400);
    expect(counterAt(pts, -1)).toBeUndefined();
  });
});
