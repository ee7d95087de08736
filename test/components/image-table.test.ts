import { describe, expect, it } from 'vitest';
import { imageTableLines, tableWindow } from '../../components/image-table.js';
import { UNICODE_GLYPHS } from '../../components/glyphs.js';
import { lineText } from '../../components/lines.js';
import type { ImageRow } from '../../src/energy/image-rows.js';

function row(i: number, extra: Partial<ImageRow> = {}): ImageRow {
  return {
    index: i,
    path: `/out/${String(i).padStart(5, '0')}.png`,
    tMs: 1000 * i,
    seconds: 0.8,
    joules: 140,
    netJoules: 116,
    watts: 175,
    peakVramBytes: 8.55 * 1024 ** 3,
    batch: i,
    batchSize: 1,
    warmup: i === 0,
    method: 'instant',
    coverage: 1,
    flagged: false,
    windowStartMs: 0,
    windowEndMs: 1,
    ...extra,
  };
}

describe('image table', () => {
  it("an external meter's joules: a column only when rows have a meter, blank-free, n/a where the meter gave nothing", () => {
    const m = (j: number | null) => [{ deviceId: 'meter:cmd', scope: 'UPS output', joules: j, netJoules: null, method: null, coverage: j === null ? 0 : 1 }];
    const text = (rows: ImageRow[]) => imageTableLines(rows, UNICODE_GLYPHS, 120, 10).map(lineText);
    expect(text([row(0), row(1)])[1]).not.toMatch(/meter J/);
    const t = text([row(0, { meters: m(312.25) }), row(1, { meters: m(null) })]);
    expect(t[1]).toMatch(/meter J/);
    expect(t[2]).toMatch(/ 312\.3 /);
    expect(t[3]).toMatch(/ n\/a( |$)/);
  });

  it("the generator's own VRAM: a column only when some shown image has it, n/a (never blank) where it is unknown", () => {
    const text = (rows: ImageRow[]) => imageTableLines(rows, UNICODE_GLYPHS, 100, 10).map(lineText);
    expect(text([row(0), row(1)])[1]).not.toMatch(/gen GiB/);
    const t = text([row(0, { processPeakVramBytes: 8.1 * 1024 ** 3 }), row(1)]);
    expect(t[1]).toMatch(/VRAM GiB gen GiB/);
    expect(t[2]).toMatch(/8\.55\s+8\.10/);
    expect(t[3]).toMatch(/8\.55\s+n\/a/);
  });

  it('scrolls: the window, the position in the rule, and BLANK among the marks', () => {
    expect(tableWindow(9, 5, 0)).toEqual({ from: 4, to: 9, offset: 0 });
    expect(tableWindow(9, 5, 99)).toEqual({ from: 0, to: 5, offset: 4 });
    const rows = Array.from({ length: 9 }, (_, i) => row(i, i === 3 ? { blank: true } : {}));
    const t = imageTableLines(rows, UNICODE_GLYPHS, 100, 6, 4).map(lineText);
    expect(t[0]).toMatch(/images \(9\) · 1–5 of 9 \(↓ newer\)/);
    expect(t.find((l) => /^\s+4 /.test(l))).toMatch(/BLANK/);
    expect(t.find((l) => /^\s+1 /.test(l))).toMatch(/warm-up/);
  });
});
