/** Per-image rows computed live while samples stream past (energy/row-stream.ts). */
import { describe, expect, it } from 'vitest';
import { RowStream } from '../../../src/energy/row-stream.js';
import { computeRows, type SeriesSample } from '../../../src/energy/image-rows.js';
import { groupIntoBatches, type ImageEvent } from '../../../src/images/batches.js';
import { imageEvents, loadGenerator, loadTrace, samplesAs, SCENARIOS } from '../../helpers/h100-traces.js';

/** Streams samples and batches in time order (a batch when the samples pass its last file); the figures as they become ready, with the time each did. */
function stream(samples: SeriesSample[], batches: ImageEvent[][], runStart: number) {
  const s = new RowStream({ gpuIds: ['gpu'], gapLimitMs: 500, batchGapMs: null });
  s.runStart(runStart);
  const ready: { batch: number; joules: number | null; method: string | null; atMs: number }[] = [];
  let b = 0;
  for (const x of samples) {
    while (b < batches.length && Math.max(...batches[b].map((e) => e.mtimeMs)) <= x.tMs) {
      for (const e of batches[b]) s.image(e);
      s.batch(b, batches[b]);
      b++;
    }
    s.sample({ deviceId: 'gpu', ...x });
    for (const f of s.takeReady()) ready.push({ batch: f.batch, joules: f.fig.joules, method: f.fig.method, atMs: x.tMs });
  }
  const rest = s.finish([]).figures.map((f) => ({ batch: f.batch, joules: f.fig.joules, method: f.fig.method, atMs: Infinity }));
  return [...ready, ...rest];
}

describe('RowStream with the counter read every 1 or 2 s and never at an image', () => {
  for (const name of SCENARIOS)
    for (const periodMs of [1000, 2000])
      it(`${name}, a read every ${periodMs / 1000} s: each figure waits for the counter's next read (and power past it), then equals the whole recording's`, () => {
        const trace = loadTrace(name);
        const gen = loadGenerator(name);
        const batches = groupIntoBatches(imageEvents(gen));
        const runStart = gen.find((g) => g.kind === 'load_start')!.epoch_ms;
        const samples = samplesAs(trace, 'scaled', [], periodMs);
        const whole = computeRows(batches, runStart, [{ deviceId: 'gpu', samples }], undefined, { gapLimitMs: 500, warmupBatches: 1 });
        const figs = stream(samples, batches, runStart);
        expect(figs.map((f) => f.batch)).toEqual(batches.map((_, i) => i));
        for (const f of figs) {
          const rows = whole.filter((r) => r.batch === f.batch);
          expect(f.joules).toBeCloseTo(
            rows.reduce((a, r) => a + r.joules!, 0),
            6,
          );
          expect(f.method).toBe('counter');
          // Computed live, after the first counter read at or past the batch's end, within a period.
          const endMs = Math.max(...batches[f.batch].map((e) => e.mtimeMs));
          const read = samples.find((x) => x.energyJoules !== undefined && x.tMs >= endMs)!;
          expect(f.atMs).toBeGreaterThanOrEqual(read.tMs);
          expect(f.atMs - endMs).toBeLessThan(periodMs + 600);
        }
      });

  it('a counter that stops being read holds no figure back for more than 3.5 s past its window', () => {
    const name = 'turbo-like';
    const trace = loadTrace(name);
    const gen = loadGenerator(name);
    const batches = groupIntoBatches(imageEvents(gen));
    const runStart = gen.find((g) => g.kind === 'load_start')!.epoch_ms;
    const cutMs = Math.max(...batches[5].map((e) => e.mtimeMs)) - 200;
    const samples = samplesAs(trace, 'scaled', [], 1000).map((x) => (x.tMs > cutMs ? { ...x, energyJoules: undefined } : x));
    const figs = stream(samples, batches, runStart);
    const late = figs.filter((f) => f.batch >= 5);
    expect(late.length).toBeGreaterThan(3);
    for (const f of late.filter((x) => x.atMs !== Infinity)) {
      const endMs = Math.max(...batches[f.batch].map((e) => e.mtimeMs));
      expect(f.atMs - endMs).toBeLessThanOrEqual(3600);
      expect(f.method).not.toBe('counter');
    }
  });
});
