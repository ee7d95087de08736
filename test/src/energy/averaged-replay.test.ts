/**
 * Averaged-only power, end to end: genwatt runs a generator that saves images when a real H100 trace
 * saved them (fixtures/traces/h100/turbo-like, from its idle end on), while the only power it can
 * read is an average replayed from that trace on the same clock:
 *
 * - a fake nvidia-smi that rejects `power.draw.instant`, as drivers before 530 do, so genwatt streams
 *   `power.draw` — on this Hopper board the driver's 1 s average (the trace's own column);
 * - (below) a fake amdgpu sysfs tree with only `power1_average`, read by the real probe.
 *
 * Each run's steady J/image is held against the hardware counter the trace's generator read at every
 * saved image. The per-image comparison with instant power is in energy-h100.test.ts.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, ROOT, spawnCli, tempDir } from '../../helpers/gen.js';
import { imageEvents, loadGenerator, loadTrace, TRACE_DIR } from '../../helpers/h100-traces.js';
import { AmdSysfsProbe } from '../../../probes/amd/amd-probes.js';
import { averageWindows } from '../../../src/energy/boxcar.js';
import { computeRows, type SeriesSample } from '../../../src/energy/image-rows.js';
import { summarize } from '../../../src/energy/summary.js';
import { groupIntoBatches } from '../../../src/images/batches.js';

const SCENARIO = 'turbo-like';
const TRACE = join(TRACE_DIR, `${SCENARIO}_trace.csv`);
const GEN_LOG = join(TRACE_DIR, `${SCENARIO}_generator.jsonl`);
/** Replayed from 7 s into the trace: 3.7 s of idle, the model load, 12 images, ~13 s in all. */
const FROM_MS = 7000;

/** Counter truth for the steady images (all but the first), J/image. */
function truth(): number {
  const saved = loadGenerator(SCENARIO).filter((g) => g.kind === 'image_saved');
  return (saved[saved.length - 1].energy_mj - saved[0].energy_mj) / 1000 / (saved.length - 1);
}

interface Report {
  sessions: { summary: { joulesPerImage: { mean: number }; method: string; steadyImages: number } }[];
}

async function measure(probe: string, env: NodeJS.ProcessEnv): Promise<{ report: Report; notes: string[]; out: string }> {
  const dir = tempDir();
  const out = join(dir, 'img');
  const rec = join(dir, 'r.json');
  const r = await spawnCli(
    [
      'run',
      '--probe',
      probe,
      '--interval',
      '50',
      '--idle',
      '1.5',
      '--plain',
      '--record',
      rec,
      '--out',
      out,
      '--',
      process.execPath,
      join(ROOT, 'test/fakes/trace-generator.mjs'),
      GEN_LOG,
      out,
    ],
    env,
  );
  expect(r.code, r.out + r.err).toBe(0);
  const rep = await spawnCli(['report', '--json', rec]);
  const rows = (JSON.parse(readFileSync(rec, 'utf8')) as { rows: { note?: string; warmup?: boolean }[] }).rows;
  return { report: JSON.parse(rep.out) as Report, notes: rows.filter((i) => !i.warmup).map((i) => i.note ?? ''), out: r.out + r.err };
}

describe('averaged-only power replayed from a real H100 trace: steady J/image within 1 % of the counter', () => {
  it('nvidia-smi without power.draw.instant: the 1 s power.draw, its power recovered', async () => {
    const env = {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_NVSMI_MODE: 'old-driver',
      FAKE_TRACE: TRACE,
      FAKE_TRACE_FROM_MS: String(FROM_MS),
      FAKE_TRACE_T0_MS: String(Date.now() + 2500),
    };
    const { report, notes, out } = await measure('nvidia-smi', env);
    const s = report.sessions[0];
    const err = (s.summary.joulesPerImage.mean - truth()) / truth();
    console.log(
      `nvidia-smi power.draw only: ${s.summary.joulesPerImage.mean.toFixed(1)} J/image vs counter ${truth().toFixed(1)} (${(err * 100).toFixed(2)} %)`,
    );
    expect(s.summary.steadyImages, out).toBe(11);
    expect(s.summary.method).toBe('average');
    expect(notes).toEqual(Array(11).fill(expect.stringContaining('power recovered from its 1 s average')));
    expect(Math.abs(err)).toBeLessThan(0.01);
  });
});

/**
 * A fake amdgpu sysfs tree (layout of the real LACT snapshots in fixtures/amd/sysfs_lact_*, plus the
 * documented `vendor`, `device`, `mem_info_vram_*` files) with only `power1_average`, as an SMU7 card
 * (Polaris 10, PCI id 0x67df) prints it: the firmware's 100 ms average of package power
 * (probes/amd/power-average.ts), made from the trace's instant power. Written row by row and read by
 * the real probe between writes, on the trace's own clock: a separate replaying process is late by
 * up to 150 ms under two CPU hogs, which alone moves a run's mean by 2 %.
 */
describe('averaged-only power from a fake amdgpu sysfs tree, read by the real probe', () => {
  it('power1_average of an SMU7 card (a 100 ms average): steady J/image within 1 % of the counter', async () => {
    const root = join(tempDir(), 'drm');
    const dev = join(root, 'card1', 'device');
    const hw = join(dev, 'hwmon', 'hwmon3');
    mkdirSync(hw, { recursive: true });
    writeFileSync(join(dev, 'vendor'), '0x1002\n');
    writeFileSync(join(dev, 'device'), '0x67df\n');
    writeFileSync(join(dev, 'mem_info_vram_total'), `${8 * 2 ** 30}\n`);
    const trace = loadTrace(SCENARIO);
    const write = (k: number) => {
      // the firmware's 100 ms average at this row: the rows in (t - 100 ms, t]
      const inWidth = trace.filter((r) => r.epochMs > trace[k].epochMs - 100 && r.epochMs <= trace[k].epochMs);
      const watts = inWidth.reduce((a, r) => a + r.powerInstantW, 0) / inWidth.length;
      writeFileSync(join(hw, 'power1_average'), `${Math.round(watts * 1e6)}\n`);
      writeFileSync(join(dev, 'mem_info_vram_used'), `${Math.min(trace[k].memUsedBytes, 8 * 2 ** 30)}\n`);
    };
    write(0);
    const probe = new AmdSysfsProbe(root);
    const det = await probe.detect();
    expect(det.method).toBe('amdgpu sysfs (power1_average: 100 ms average, power recovered from it)');
    const samples: SeriesSample[] = [];
    for (let k = 0; k < trace.length; k++) {
      write(k);
      const [r] = await probe.poll();
      samples.push({ tMs: trace[k].epochMs, powerWatts: r.powerWatts, powerKind: r.powerKind, vramUsedBytes: r.vramUsedBytes });
    }
    expect(samples.every((x) => x.powerKind === 'average')).toBe(true);
    const gen = loadGenerator(SCENARIO);
    const rows = computeRows(
      groupIntoBatches(imageEvents(gen)),
      gen.find((g) => g.kind === 'load_start')!.epoch_ms,
      [{ deviceId: det.devices[0].id, samples, averageWindowMs: averageWindows(det.devices).get(det.devices[0].id) }],
      undefined,
      { gapLimitMs: 500, warmupBatches: 1 },
    );
    const mean = summarize(rows, undefined, null).joulesPerImage.mean!;
    const err = (mean - truth()) / truth();
    console.log(`amdgpu power1_average only: ${mean.toFixed(1)} J/image vs counter ${truth().toFixed(1)} (${(err * 100).toFixed(2)} %)`);
    expect(rows.filter((r) => !r.warmup).every((r) => r.note?.includes('power recovered from its 0.1 s average'))).toBe(true);
    expect(Math.abs(err)).toBeLessThan(0.01);
  });

  it('a Navi card (RX 5500 XT, PCI id 0x7340): power1_average of unknown width, integrated as it is and flagged', async () => {
    // the real LACT snapshot of an RX 5500 XT, with the PCI id its board has
    const root = join(tempDir(), 'drm');
    cpSync(join(ROOT, 'fixtures/amd/sysfs_lact_rx5500xt'), root, { recursive: true });
    writeFileSync(join(root, 'card1/device/device'), '0x7340\n');
    const probe = new AmdSysfsProbe(root);
    const det = await probe.detect();
    expect(det.method).toBe('amdgpu sysfs (power1_average: average of unknown width, flagged)');
    expect(det.devices[0].powerAverageMs).toBeUndefined();
  });
});
