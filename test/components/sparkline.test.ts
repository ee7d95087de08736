import { describe, expect, it } from 'vitest';
import { ASCII_GLYPHS, UNICODE_GLYPHS } from '../../components/glyphs.js';
import { bar, resample, sparkline } from '../../components/sparkline.js';
import type { SeriesPoint } from '../../src/series/series.js';

const pts = (xs: [number, number | undefined][]): SeriesPoint[] => xs.map(([tMs, value]) => ({ tMs, value }));

describe('resample', () => {
  it('averages the points that fall in each column', () => {
    const v = resample(
      pts([
        [0, 10],
        [500, 20],
        [1000, 30],
        [1500, 50],
      ]),
      { fromMs: 0, toMs: 2000, columns: 2, holdMs: 1000 },
    );
    expect(v).toEqual([15, 40]);
  });

  it('carries a value into empty columns only while it is younger than the hold time', () => {
    const v = resample(pts([[0, 100]]), { fromMs: 0, toMs: 5000, columns: 5, holdMs: 2000 });
    expect(v).toEqual([100, 100, 100, null, null]);
  });

  it('a gap marker ends the carried value: the columns after it are gaps, not zero', () => {
    const v = resample(
      pts([
        [0, 100],
        [1200, undefined],
        [3500, 80],
      ]),
      { fromMs: 0, toMs: 4000, columns: 4, holdMs: 10000 },
    );
    expect(v).toEqual([100, null, null, 80]);
  });

  it('uses the last value before the window for its first columns', () => {
    const v = resample(pts([[-300, 42]]), { fromMs: 0, toMs: 1000, columns: 2, holdMs: 1000 });
    expect(v).toEqual([42, 42]);
  });

  it('ignores points at or after the window end (a replay does not show the future)', () => {
    const v = resample(
      pts([
        [0, 10],
        [1000, 999],
      ]),
      { fromMs: 0, toMs: 1000, columns: 1, holdMs: 0 },
    );
    expect(v).toEqual([10]);
  });

  it('an empty series is all gaps; zero columns give nothing', () => {
    expect(resample([], { fromMs: 0, toMs: 1000, columns: 3, holdMs: 1000 })).toEqual([null, null, null]);
    expect(resample(pts([[0, 1]]), { fromMs: 0, toMs: 1000, columns: 0, holdMs: 1000 })).toEqual([]);
  });
});

describe('sparkline', () => {
  it('scales from min to max over the eight levels', () => {
    expect(sparkline([0, 50, 100], UNICODE_GLYPHS, { min: 0, max: 100 })).toBe('▁▅█');
    expect(sparkline([0, 25, 50, 75, 100], UNICODE_GLYPHS, { min: 0, max: 100 })).toBe('▁▃▅▆█');
  });

  it('draws a gap as a space and a real zero as the lowest bar', () => {
    expect(sparkline([10, null, 0, 10], UNICODE_GLYPHS, { min: 0, max: 10 })).toBe('█ ▁█');
  });

  it('defaults its top to the largest value and clamps values outside the range', () => {
    expect(sparkline([1, 2, 4], UNICODE_GLYPHS)).toBe('▃▅█'); // 1/4 and 2/4 of 7 levels, rounded
    expect(sparkline([-5, 500], UNICODE_GLYPHS, { min: 0, max: 100 })).toBe('▁█');
  });

  it('ASCII mode uses only printable ASCII', () => {
    const s = sparkline([0, 1, 2, 3, 4, 5, 6, 7, null], ASCII_GLYPHS, { min: 0, max: 7 });
    expect(s).toBe('_.-=+*#@ ');
    expect(/^[\x20-\x7e]*$/.test(s)).toBe(true);
  });

  it('bar fills a fraction and shows unknown as empty', () => {
    expect(bar(0.5, 10, UNICODE_GLYPHS)).toBe('█████░░░░░');
    expect(bar(null, 4, ASCII_GLYPHS)).toBe('....');
    expect(bar(2, 3, ASCII_GLYPHS)).toBe('###');
  });
});
