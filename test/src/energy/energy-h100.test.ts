/**
 * The energy path on real H100 traces: NVML at 50 ms around a generator that read the hardware
 * energy counter itself at every saved image (ground truth). Image events are its image_saved times.
 */
import { describe, expect, it } from 'vitest';
import { groupIntoBatches } from '../../../src/images/batches.js';
import { computeRows } from '../../../src/energy/image-rows.js';
import { summarize } from '../../../src/energy/summary.js';
import { imageEvents, loadGenerator, loadTrace, samplesAs, SCENARIOS, type Scenario } from '../../helpers/h100-traces.js';

const GAP_LIMIT_MS = 500;

/** Counter reads at completion: the generator's own (its log) or the first trace row after each image (up to 50 ms late). */
function completionReads(name: Scenario, late: boolean): { tMs: number; energyJ: number }[] {
  const trace = loadTrace(name);
  const gen = loadGenerator(name);
  const at = gen.filter((g) => g.kind === 'image_saved' || g.kind === 'load_start');
  return at.map((g) => {
    if (!late) return { tMs: g.epoch_ms, energyJ: g.energy_mj / 1000 };
    const r = trace.find((x) => x.epochMs >= g.epoch_ms)!;
    return { tMs: r.epochMs, energyJ: r.energyJ };
  });
}

function run(
  name: Scenario,
  kind: 'counter' | 'instant' | 'average' | 'scaled' | 'completion',
  reads: { tMs: number; energyJ: number }[] = [],
  averageWindowMs?: number,
  periodMs = 1000,
) {
  const trace = loadTrace(name);
  const gen = loadGenerator(name);
  const events = imageEvents(gen);
  const batches = groupIntoBatches(events);
  const runStart = gen.find((g) => g.kind === 'load_start')!.epoch_ms;
  const rows = computeRows(batches, runStart, [{ deviceId: 'gpu', samples: samplesAs(trace, kind, reads, periodMs), averageWindowMs }], undefined, {
    gapLimitMs: GAP_LIMIT_MS,
    warmupBatches: 1,
  });
  return { rows, batches, gen, summary: summarize(rows, undefined, null) };
}

/** Counter truth for the steady images: from the first batch's last file to the last file. */
function truthSteadyMean(name: Scenario): { mean: number; perBatch: number[] } {
  const gen = loadGenerator(name);
  const saved = gen.filter((g) => g.kind === 'image_saved');
  const batches = groupIntoBatches(imageEvents(gen));
  const energyAt = (path: string) => saved.find((s) => s.path === path)!.energy_mj / 1000;
  const ends = batches.map((b) => energyAt(b[b.length - 1].path));
  const steadyImages = batches.slice(1).reduce((a, b) => a + b.length, 0);
  const perBatch = batches.slice(1).map((b, i) => (ends[i + 1] - ends[i]) / b.length);
  return { mean: (ends[ends.length - 1] - ends[0]) / steadyImages, perBatch };
}

describe('energy per image on the real H100 traces', () => {
  for (const name of SCENARIOS) {
    it(`${name}: instant power lands within 1 % of the counter truth`, () => {
      const { summary } = run(name, 'instant');
      const truth = truthSteadyMean(name).mean;
      const err = (summary.joulesPerImage.mean! - truth) / truth;
      expect(Math.abs(err)).toBeLessThan(0.01);
      expect(summary.method).toBe('instant');
      expect(summary.coverage).toBe(1);
    });

    it(`${name}: counter difference lands within 0.5 % of the counter truth`, () => {
      const { summary } = run(name, 'counter');
      const truth = truthSteadyMean(name).mean;
      const err = (summary.joulesPerImage.mean! - truth) / truth;
      expect(Math.abs(err)).toBeLessThan(0.005);
      expect(summary.method).toBe('counter');
    });

    for (const periodMs of [1000, 2000])
      it(`${name}: counter read every ${periodMs / 1000} s and never at an image: every edge lies between two reads, placed by instant power; within ${periodMs === 1000 ? 1 : 1.5} % of the truth`, () => {
        // What a run does on an H100, where a read costs ~5 ms of CPU: the windows add up to the
        // counter's own difference, and instant power decides only where inside a period the joules fall.
        const { rows, summary } = run(name, 'scaled', [], undefined, periodMs);
        const { mean: truth, perBatch } = truthSteadyMean(name);
        const err = (summary.joulesPerImage.mean! - truth) / truth;
        expect(Math.abs(err)).toBeLessThan(periodMs === 1000 ? 0.01 : 0.015);
        for (const r of rows) expect(r.method, `image ${r.index}`).toBe('counter');
        // Per image, against the counter's difference between the generator's own reads (themselves
        // up to 100 ms stale: the counter advances ~10×/s): within 15 %, and the median within 4 %.
        const off = rows.filter((r) => !r.warmup).map((r) => Math.abs(r.joules! - perBatch[r.batch - 1]) / perBatch[r.batch - 1]);
        expect(Math.max(...off)).toBeLessThan(0.15);
        expect(off.sort((a, b) => a - b)[off.length >> 1]).toBeLessThan(0.04);
      });

    it(`${name}: counter read at each image's completion (the value the generator read) and a second after the last read: every window by counter difference, as exact as the truth`, () => {
      const { rows, summary } = run(name, 'completion', completionReads(name, false));
      const truth = truthSteadyMean(name).mean;
      expect(Math.abs((summary.joulesPerImage.mean! - truth) / truth)).toBeLessThan(0.001);
      for (const r of rows) expect(r.method).toBe('counter');
    });

    it(`${name}: completion reads up to 50 ms late are bridged with instant power: within 1.5 % (a counter step at the run's two ends)`, () => {
      const { rows, summary } = run(name, 'completion', completionReads(name, true));
      const truth = truthSteadyMean(name).mean;
      expect(Math.abs((summary.joulesPerImage.mean! - truth) / truth)).toBeLessThan(0.015);
      for (const r of rows) expect(r.method).toBe('counter');
    });

    it(`${name}: average power is integrated only with the flag set`, () => {
      const { summary, rows } = run(name, 'average');
      expect(summary.method).toBe('average');
      expect(summary.flagged).toBe(true);
      expect(rows.every((r) => r.flagged)).toBe(true);
    });

    it(`${name}: the driver's 1 s average, its power recovered (boxcar.ts): closer to the counter truth than integrated as it is, per run and per image`, () => {
      const plain = run(name, 'average');
      const rec = run(name, 'average', [], 1000);
      const { mean: truth, perBatch } = truthSteadyMean(name);
      const err = (s: typeof plain) => (s.summary.joulesPerImage.mean! - truth) / truth;
      const perImage = (s: typeof plain) =>
        s.rows.filter((r) => !r.warmup).reduce((a, r) => a + Math.abs(r.joules! - perBatch[r.batch - 1]) / perBatch[r.batch - 1], 0) /
        s.rows.filter((r) => !r.warmup).length;
      const inst = run(name, 'instant');
      const ctr = run(name, 'counter');
      console.log(
        `${name}: average ${(err(plain) * 100).toFixed(2)} %, recovered ${(err(rec) * 100).toFixed(2)} % (instant ${(err(inst) * 100).toFixed(2)} %); per image ${(perImage(plain) * 100).toFixed(2)} % -> ${(perImage(rec) * 100).toFixed(2)} % (instant ${(perImage(inst) * 100).toFixed(2)} %, the counter itself at 50 ms ${(perImage(ctr) * 100).toFixed(2)} %)`,
      );
      // Per image no worse than instant power where the truth resolves single images (the counter
      // sampled at 50 ms lands within 1.5 % of it). On turbo-like it does not: 0.6 s images against a
      // counter that steps every ~100 ms, so every method — the counter itself, 3.7 % — scatters
      // 3.4–3.8 % around the generator's reads; there, within half a point of that floor.
      if (perImage(ctr) < 0.015) {
        expect(perImage(rec)).toBeLessThanOrEqual(perImage(inst));
        expect(perImage(rec)).toBeLessThan(perImage(plain));
      } else expect(perImage(rec)).toBeLessThan(perImage(ctr) + 0.005);
      expect(Math.abs(err(rec))).toBeLessThan(Math.abs(err(plain)));
      expect(Math.abs(err(rec))).toBeLessThan(0.01);
      expect(rec.rows.filter((r) => !r.warmup).every((r) => r.note?.includes('power recovered from its 1 s average'))).toBe(true);
      expect(rec.summary.method).toBe('average');
    });
  }

  it('turbo-batch2: files of one batch share its energy; no image gets the naive ~12 J', () => {
    const { rows, batches } = run('turbo-batch2', 'counter');
    expect(batches.map((b) => b.length)).toEqual([2, 2, 2, 2]);
    for (const r of rows) expect(r.joules!).toBeGreaterThan(200);
    for (let i = 0; i < rows.length; i += 2) expect(rows[i].joules).toBe(rows[i + 1].joules);
    const truth = truthSteadyMean('turbo-batch2').perBatch;
    rows
      .filter((r) => !r.warmup && r.index % 2 === 0)
      .forEach((r, i) => {
        expect(Math.abs(r.joules! - truth[i]) / truth[i]).toBeLessThan(0.02);
      });
  });

  it('a naive per-file window gives the second file of a batch ~12 J (the trap); the batching path gives it its share', () => {
    const trace = loadTrace('turbo-batch2');
    const gen = loadGenerator('turbo-batch2');
    const events = imageEvents(gen);
    const runStart = gen.find((g) => g.kind === 'load_start')!.epoch_ms;
    const series = [{ deviceId: 'gpu', samples: samplesAs(trace, 'counter') }];
    const opts = { gapLimitMs: GAP_LIMIT_MS, warmupBatches: 1 };
    const naive = computeRows(
      events.map((e) => [{ ...e }]),
      runStart,
      series,
      undefined,
      opts,
    );
    const batched = computeRows(groupIntoBatches(events), runStart, series, undefined, opts);
    expect(Math.min(...naive.map((r) => r.joules!))).toBeLessThan(50);
    // the same files through genwatt's batching: no file gets the naive figure
    expect(Math.min(...batched.map((r) => r.joules!))).toBeGreaterThan(200);
  });

  it('the first image after idle is warm-up and left out of the steady mean', () => {
    const { rows, summary } = run('sdxl-like', 'instant');
    expect(rows[0].warmup).toBe(true);
    expect(summary.warmupImages).toBe(1);
    expect(summary.steadyImages).toBe(7);
  });
});
