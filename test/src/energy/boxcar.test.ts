/** Power recovered from a running average (energy/boxcar.ts). */
import { describe, expect, it } from 'vitest';
import { flatStart, recoverBoxcar, type Point } from '../../../src/energy/boxcar.js';
import { RowStream } from '../../../src/energy/row-stream.js';
import { computeRows } from '../../../src/energy/image-rows.js';
import { groupIntoBatches } from '../../../src/images/batches.js';
import { imageEvents, loadGenerator, loadTrace, samplesAs } from '../../helpers/h100-traces.js';

/** A 1 s boxcar average of `power`, sampled every `stepMs` from 0 to `toMs`. */
function averaged(power: (t: number) => number, stepMs: number, toMs: number): Point[] {
  const out: Point[] = [];
  for (let t = 0; t <= toMs; t += stepMs) {
    let e = 0;
    for (let s = t - 1000; s < t; s += 1) e += power(s);
    out.push({ t, v: e / 1000 });
  }
  return out;
}

describe('recoverBoxcar', () => {
  it('a 1 s average of idle, then 500 W bursts: the bursts come back where they were, with their energy', () => {
    // 100 W idle; 500 W from 5.0 to 6.2 s and from 7.0 to 8.5 s
    const p = (t: number) => ((t >= 5000 && t < 6200) || (t >= 7000 && t < 8500) ? 500 : 100);
    const avg = averaged(p, 100, 12_000);
    const rec = recoverBoxcar(avg, 1000, 0)!;
    expect(rec).not.toBeNull();
    const at = (t: number) => rec.find((x) => x.t === t)!.v;
    // the lagging average at 5.5 s reads 300 W; the recovered power is the burst's
    expect(avg.find((x) => x.t === 5500)!.v).toBeCloseTo(300, 0);
    expect(at(5500)).toBeCloseTo(500, 0);
    expect(at(6600)).toBeCloseTo(100, 0);
    expect(at(8000)).toBeCloseTo(500, 0);
    expect(at(11_000)).toBeCloseTo(100, 0);
  });

  it('a gap longer than a width: not recovered (null), never guessed', () => {
    const avg = averaged(() => 100, 100, 5000).filter((x) => x.t < 2000 || x.t > 3100);
    expect(recoverBoxcar(avg, 1000, 0)).toBeNull();
  });

  it('flatStart: only a stretch that ends before the window counts, and only a flat one', () => {
    const p = (t: number) => (t >= 5000 ? 500 : 100);
    const avg = averaged(p, 100, 10_000);
    // flat until 5 s: the latest start whose two widths end by 5.0 s is 3.0 s
    expect(flatStart(avg, 1000, 0, 5000)).toBe(3000);
    // a window at 7 s: the same start (5-7 s is not flat)
    expect(flatStart(avg, 1000, 0, 7000)).toBe(3000);
    // nothing flat within the lookback
    expect(flatStart(avg, 1000, 4000, 7000)).toBeNull();
  });
});

describe('recovery in a run and in its report', () => {
  it('the same rows whether the samples stream past (a live run) or are read whole (a report)', () => {
    const name = 'turbo-batch2';
    const gen = loadGenerator(name);
    const samples = samplesAs(loadTrace(name), 'average').map((s) => ({ deviceId: 'gpu', ...s }));
    const batches = groupIntoBatches(imageEvents(gen));
    const runStart = gen.find((g) => g.kind === 'load_start')!.epoch_ms;
    const whole = computeRows(batches, runStart, [{ deviceId: 'gpu', samples, averageWindowMs: 1000 }], undefined, { gapLimitMs: 500, warmupBatches: 1 });
    const stream = new RowStream({ gpuIds: ['gpu'], gapLimitMs: 500, batchGapMs: null, averageWindows: new Map([['gpu', 1000]]) });
    stream.runStart(runStart);
    const events = batches.flat().sort((a, b) => a.mtimeMs - b.mtimeMs);
    let b = 0;
    for (const s of samples) {
      while (b < batches.length && Math.max(...batches[b].map((e) => e.mtimeMs)) <= s.tMs) {
        for (const e of batches[b]) stream.image(e);
        stream.batch(b, batches[b]);
        b++;
      }
      stream.sample(s);
    }
    const figures = [...stream.takeReady(), ...stream.finish([]).figures];
    expect(events.length).toBe(8);
    expect(figures.map((f) => f.fig.joules)).toEqual(
      batches.map((_, i) => whole.filter((r) => r.batch === i).reduce((a, r) => a + r.joules!, 0)).map((j) => expect.closeTo(j, 6)),
    );
    expect(whole.every((r) => r.note?.includes('power recovered'))).toBe(true);
  });
});
