import { describe, expect, it } from 'vitest';
import { autoBatchGapMs, BatchAssembler, groupIntoBatches } from '../../../src/images/batches.js';

const ev = (t: number, i = t) => ({ path: `img-${i}.png`, mtimeMs: t });

describe('batches', () => {
  it('files 0.1 s apart are one batch; 1.2 s apart are not', () => {
    const groups = groupIntoBatches([ev(1000), ev(1100), ev(2300), ev(2380), ev(3500), ev(3570)]);
    expect(groups.map((g) => g.length)).toEqual([2, 2, 2]);
    expect(groups.flat().map((e) => e.batch)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('the gap adapts to a quarter of the median batch interval', () => {
    expect(autoBatchGapMs([])).toBe(300);
    expect(autoBatchGapMs([0, 1600, 3200, 4800])).toBe(400);
    expect(autoBatchGapMs([0, 100, 200])).toBe(80);
  });

  it('the online assembler closes a batch when a later file is too far, or when quiet', () => {
    const a = new BatchAssembler();
    expect(a.add(ev(0))).toBeUndefined();
    expect(a.add(ev(90))).toBeUndefined();
    expect(a.flushIfQuiet(200)).toBeUndefined();
    const closed = a.flushIfQuiet(600)!;
    expect(closed.map((e) => e.mtimeMs)).toEqual([0, 90]);
    expect(a.add(ev(1500))).toBeUndefined();
    expect(a.add(ev(3000))!.map((e) => e.mtimeMs)).toEqual([1500]);
  });

  it('a generator saving every 200 ms is not one endless batch (gap ≤ ¼ of the time since the last batch)', () => {
    const groups = groupIntoBatches([ev(200), ev(400), ev(600), ev(800), ev(1000)], undefined, 0);
    expect(groups.map((g) => g.length)).toEqual([1, 1, 1, 1, 1]);
    // a real batch of two right after a 1.2 s window still joins
    expect(groupIntoBatches([ev(1200), ev(1290), ev(2400), ev(2480)], undefined, 0).map((g) => g.length)).toEqual([2, 2]);
  });

  it('a generator saving every 200 ms after a slow start (3 s to its first image) is not one endless first batch', () => {
    const stream = Array.from({ length: 40 }, (_, i) => ev(3000 + 200 * i));
    const groups = groupIntoBatches(stream, undefined, 0);
    // the first batch stops where its saves would outlast the 3 s before it; singles after it
    expect(groups[0].length).toBe(16);
    expect(groups.slice(1).every((g) => g.length === 1)).toBe(true);
    // a real batch of 32 files saved in ~1 s after 20 s of load and compute stays one batch
    expect(
      groupIntoBatches(
        Array.from({ length: 32 }, (_, i) => ev(20000 + 30 * i)),
        undefined,
        0,
      ).map((g) => g.length),
    ).toEqual([32]);
  });

  it('recorded batch numbers are kept', () => {
    const g = groupIntoBatches([
      { ...ev(0), batch: 0 },
      { ...ev(50), batch: 1 },
    ]);
    expect(g.map((x) => x.length)).toEqual([1, 1]);
  });
});
