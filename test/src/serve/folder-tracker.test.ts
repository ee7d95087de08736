/** One watched folder of `genwatt serve` (serve/folder-tracker.ts), on a real folder with real PNGs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderTracker } from '../../../src/serve/folder-tracker.js';
import type { ImageRow, SeriesSample } from '../../../src/energy/image-rows.js';
import type { ImageEvent } from '../../../src/images/batches.js';
import { timelineNow } from '../../../probes/timeline.js';
import { pngFile } from '../../../fixtures/png-writer.mjs';
import { waitFor } from '../../helpers/gen.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('FolderTracker rows and the energy counter', () => {
  it("an image's rows wait for the counter's next read after its window (the edge lies between two reads), then use it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tracker-'));
    dirs.push(dir);
    // A GPU at 200 W by instant power (10 % low: the counter says 220 W), the counter read every 2 s.
    const samples: SeriesSample[] = [];
    let looks = 0; // how often the tracker looked at the samples (each of its ticks while rows wait)
    const t0 = timelineNow() - 10_000;
    let lastMs = t0;
    const sampleUpTo = (toMs: number) => {
      for (; lastMs <= toMs; lastMs += 100) {
        const s: SeriesSample = { tMs: lastMs, powerWatts: 200, powerKind: 'instant' };
        if (Math.round(lastMs - t0) % 2000 === 0) s.energyJoules = 1000 + ((lastMs - t0) / 1000) * 220;
        samples.push(s);
      }
    };
    const t = new FolderTracker(dir, {
      runGapMs: 60_000,
      batchGapMs: null,
      warmupBatches: 0,
      gapLimitMs: 500,
      series: () => (looks++, [{ deviceId: 'gpu', samples }]),
      idle: () => undefined,
    });
    const images: ImageEvent[] = [];
    const batches: number[] = [];
    const rows: ImageRow[] = [];
    t.on('image', (e) => images.push(e));
    t.on('batch', (b) => batches.push(b.batch));
    t.on('rows', (r) => rows.push(...r));
    t.start();
    await waitFor(() => t.ready, 10_000);
    writeFileSync(join(dir, '00001.png'), pngFile(64, 64));
    await waitFor(() => images.length === 1, 10_000);
    const endMs = images[0].mtimeMs;
    // Samples up to the image, the last read before it: the batch closes, its rows wait.
    sampleUpTo(endMs - 1);
    const readAfter = samples.find((s) => s.energyJoules !== undefined && s.tMs >= endMs);
    expect(readAfter).toBeUndefined();
    await waitFor(() => batches.length === 1, 10_000);
    const seen = looks;
    await waitFor(() => looks >= seen + 3, 10_000); // three more looks, whatever the machine's speed
    expect(rows).toEqual([]);
    // The next read (and power past it) arrives: the rows come, by the counter.
    sampleUpTo(t0 + Math.ceil((endMs - t0) / 2000) * 2000 + 200);
    await waitFor(() => rows.length === 1, 10_000);
    await t.close();
    expect(rows[0].method).toBe('counter');
    // 220 W by the counter over the window since the tracker opened the segment
    expect(rows[0].joules! / rows[0].seconds!).toBeCloseTo(220, 3);
  });
});
