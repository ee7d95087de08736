/**
 * Which GPUs a run is charged for: on the real two-H200 capture (fixtures/nvidia/*h200x2*: genwatt's
 * own detect query and stream while one real SDXL pipeline ran on each GPU), through the nvidia-smi
 * probe replaying it (test/fakes/bin-h200x2), and end to end on two simulated GPUs whose demo
 * generator runs on one of them (its process list names it, as NVML's does).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../../probes/types.js';
import { rowToFacts, rowToRecord, splitCsvLine } from '../../../probes/nvidia/nvidia-smi-csv.js';
import { DETECT_FIELDS } from '../../../probes/nvidia/nvidia-smi-probe.js';
import { GpuSelectError, resolveGpuList, restrictIdle, visibleGpus } from '../../../src/measure/gpu-select.js';
import { trapezoidJoules } from '../../../src/energy/window-energy.js';
import { readSession } from '../../../src/session/reader.js';
import { GENERATOR, ROOT, spawnCli, tempDir } from '../../helpers/gen.js';

const CAPTURE = join(ROOT, 'fixtures/nvidia/nvidia-smi-query-gpu_h200x2_drv580.159.04_detect-nounits.csv');
const GPU0 = '00000000:00:06.0';
const GPU1 = '00000000:00:07.0';

function h200x2(): DeviceInfo[] {
  return readFileSync(CAPTURE, 'utf8')
    .trim()
    .split('\n')
    .map((l) => rowToFacts(rowToRecord(DETECT_FIELDS, splitCsvLine(l)))!)
    .map((f) => ({ id: f.id, vendor: 'nvidia' as const, name: f.name, probe: 'nvidia-smi' as const, busId: f.busId, uuid: f.uuid, index: f.index }));
}

describe('GPU selection (the real two-H200 capture)', () => {
  const devices = h200x2();

  it('--gpu by index, PCI bus id (any domain width, any case), UUID or a unique UUID prefix', () => {
    expect(resolveGpuList('1', devices).ids).toEqual([GPU1]);
    expect(resolveGpuList('0000:00:07.0', devices).ids).toEqual([GPU1]);
    expect(resolveGpuList('00:06.0', devices).ids).toEqual([GPU0]);
    expect(resolveGpuList('GPU-0292134e-89c8-e84e-9386-500b30d6a4d6', devices).ids).toEqual([GPU1]);
    expect(resolveGpuList('gpu-b823ecbd', devices).ids).toEqual([GPU0]);
    expect(resolveGpuList('1,0,1', devices)).toEqual({ ids: [GPU1, GPU0], reason: '--gpu 1,0,1' });
    expect(() => resolveGpuList('2', devices)).toThrow(GpuSelectError);
    expect(() => resolveGpuList('2', devices)).toThrow(
      /--gpu 2: no such GPU here \(GPUs: 0 00000000:00:06\.0 GPU-b823ecbd.*, 1 00000000:00:07\.0 GPU-0292134e/,
    );
    expect(() => resolveGpuList(' , ', devices)).toThrow(/needs a list/);
  });

  it('CUDA_VISIBLE_DEVICES as CUDA reads it: indices or UUIDs, up to the first entry it cannot parse; -1 hides all', () => {
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '1' }, devices)).toEqual({ ids: [GPU1], reason: 'CUDA_VISIBLE_DEVICES=1' });
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: 'GPU-b823ecbd-bb17-cfb3-e35b-411dfeab51f3' }, devices)!.ids).toEqual([GPU0]);
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '1,0' }, devices)!.ids).toEqual([GPU1, GPU0]);
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '0,bogus,1' }, devices)!.ids).toEqual([GPU0]);
    expect(() => visibleGpus({ CUDA_VISIBLE_DEVICES: '-1' }, devices)).toThrow(/leaves the generator no GPU/);
    expect(visibleGpus({}, devices)).toBeNull();
    // AMD's variables do not select NVIDIA GPUs
    expect(visibleGpus({ HIP_VISIBLE_DEVICES: '1' }, devices)).toBeNull();
    // different models, CUDA's default fastest-first order: said
    const mixed = [devices[0], { ...devices[1], name: 'NVIDIA GeForce RTX 3060' }];
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '1' }, mixed)!.reason).toMatch(/CUDA_DEVICE_ORDER=PCI_BUS_ID/);
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' }, mixed)!.reason).toBe('CUDA_VISIBLE_DEVICES=1');
  });

  it('HIP_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES select AMD GPUs', () => {
    const amd: DeviceInfo[] = [0, 1].map((i) => ({ id: `0000:0${i + 3}:00.0`, vendor: 'amd', name: 'AMD GPU', probe: 'amd-sysfs', index: i }));
    expect(visibleGpus({ HIP_VISIBLE_DEVICES: '1' }, amd)!.ids).toEqual(['0000:04:00.0']);
    expect(visibleGpus({ ROCR_VISIBLE_DEVICES: '0' }, amd)!.reason).toBe('ROCR_VISIBLE_DEVICES=0');
  });

  it('the idle baseline narrows to the charged GPUs; unknown stays unknown', () => {
    const idle = {
      startMs: 0,
      endMs: 1,
      devices: [
        { deviceId: GPU0, watts: 80 },
        { deviceId: GPU1, watts: 79.5 },
      ],
      totalWatts: 159.5,
    };
    expect(restrictIdle(idle, [GPU1]).totalWatts).toBe(79.5);
    expect(
      restrictIdle(
        {
          ...idle,
          devices: [
            { deviceId: GPU0, watts: null },
            { deviceId: GPU1, watts: 79.5 },
          ],
        },
        [GPU0],
      ).totalWatts,
    ).toBeNull();
  });
});

describe('charged GPUs end to end', () => {
  const gen = (out: string, ...extra: string[]) => [
    process.execPath,
    GENERATOR,
    '--out',
    out,
    '--count',
    '4',
    '--seconds',
    '0.3',
    '--load-seconds',
    '0.3',
    ...extra,
  ];

  it('nvidia-smi replaying the two-H200 capture: --gpu by index and by UUID charges that GPU only; the recording says so and reports the same', async () => {
    const dir = tempDir('gw-h200x2-');
    const PATH = `${join(ROOT, 'test/fakes/bin-h200x2')}:/usr/local/bin:/usr/bin:/bin`;
    const probe = await spawnCli(['probe', '--json', '--probe', 'nvidia-smi'], { PATH });
    const p = JSON.parse(probe.out) as { devices: { id: string; uuid: string; reading: { powerWatts?: number } | null }[]; probes: { method: string }[] };
    expect(p.devices.map((d) => [d.id, d.uuid])).toEqual([
      [GPU0, 'GPU-b823ecbd-bb17-cfb3-e35b-411dfeab51f3'],
      [GPU1, 'GPU-0292134e-89c8-e84e-9386-500b30d6a4d6'],
    ]);
    expect(p.probes[0].method).toBe('nvidia-smi -lms (power.draw.instant)');
    expect(p.devices.every((d) => (d.reading?.powerWatts ?? 0) > 400)).toBe(true); // both generating in the capture
    const runs: Record<string, number> = {};
    for (const [name, sel] of [
      ['one', '1'],
      ['uuid', 'GPU-0292134e'],
      ['both', '0,1'],
    ] as const) {
      const rec = join(dir, `${name}.json`);
      const out = join(dir, name);
      const r = await spawnCli(['run', '--probe', 'nvidia-smi', '--gpu', sel, '--idle', '1', '--plain', '--record', rec, '--out', out, '--', ...gen(out)], {
        PATH,
      });
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/charging GPUs? /);
      const doc = (await readSession(rec)).doc;
      expect(doc.run.gpus).toEqual(name === 'both' ? [GPU0, GPU1] : [GPU1]);
      expect(doc.idle!.devices.map((d) => d.deviceId)).toEqual(doc.run.gpus);
      const rep = JSON.parse((await spawnCli(['report', rec, '--json'])).out).sessions[0];
      expect(rep.summary.joulesPerImage.mean).toBeCloseTo(doc.summary.joulesPerImage.mean!, 6);
      // Each image's power is that of the charged GPUs over its window, by their own samples (so it
      // holds wherever in the replayed capture the run happened to fall): both GPUs draw ~430-600 W
      // in the capture, so charging the wrong set is off by about half or double.
      // Each image's joules are its charged GPUs' power over its window, integrated from their own
      // recorded samples (the same trapezoid the energy code uses): wherever in the replayed capture
      // the run fell, a row matches its charged set and not the other. Both GPUs draw ~430-600 W in
      // the capture, so the wrong set is off by about half or double.
      const series = (id: string) => doc.samples.filter((x) => x.deviceId === id && x.powerWatts !== undefined).map((x) => ({ t: x.tMs, v: x.powerWatts! }));
      const joulesOf = (ids: readonly string[], row: (typeof doc.rows)[number]) =>
        ids.reduce((a, id) => a + (trapezoidJoules(series(id), row.windowStartMs, row.windowEndMs) ?? NaN), 0);
      const checked = doc.rows.filter((row) => {
        if (row.joules === null || row.coverage < 0.95) return false;
        const charged = joulesOf(doc.run.gpus!, row);
        const both = joulesOf([GPU0, GPU1], row);
        const seen = JSON.stringify({ name, joules: row.joules, charged, both });
        expect(Math.abs(row.joules - charged) / charged, seen).toBeLessThan(0.02);
        if (name !== 'both') expect(Math.abs(row.joules - both) / both, seen).toBeGreaterThan(0.2);
        return true;
      });
      expect(checked.length, name).toBeGreaterThanOrEqual(1);
      runs[name] = doc.summary.meanWatts!;
    }
    expect(Object.keys(runs)).toEqual(['one', 'uuid', 'both']);
  }, 60000);

  it('two simulated GPUs: the generator on GPU 1 is found by its processes, by CUDA_VISIBLE_DEVICES, or charged by --gpu 0 (idle only)', async () => {
    const dir = tempDir('gw-sim2-');
    const base = (name: string) => [
      'run',
      '--probe',
      'simulated',
      '--sim-gpus',
      '2',
      '--idle',
      '1',
      '--plain',
      '--record',
      join(dir, `${name}.json`),
      '--out',
      join(dir, name),
    ];
    const auto = await spawnCli([...base('auto'), '--', ...gen(join(dir, 'auto'), '--gpu', '1')]);
    expect(auto.code, auto.err).toBe(0);
    expect(auto.err).toMatch(/charging GPU sim-1 to this run \(the generator's processes: pid \d+ on sim-1\)/);
    const cvd = await spawnCli([...base('cvd'), '--', ...gen(join(dir, 'cvd'))], { CUDA_VISIBLE_DEVICES: '1' });
    expect(cvd.err).toMatch(/charging GPU sim-1 to this run \(CUDA_VISIBLE_DEVICES=1\)/);
    const other = await spawnCli([...base('other'), '--gpu', '0', '--', ...gen(join(dir, 'other'), '--gpu', '1')]);
    expect(other.err).toMatch(/charging GPU sim-0 to this run \(--gpu 0\)/);
    const docs = await Promise.all(['auto', 'cvd', 'other'].map(async (n) => (await readSession(join(dir, `${n}.json`))).doc));
    expect(docs.map((d) => d.run.gpus)).toEqual([['sim-1'], ['sim-1'], ['sim-0']]);
    expect(docs[0].run.gpuReason).toMatch(/the generator's processes: pid \d+ on sim-1/);
    // the busy GPU's image costs far more than the idle one's; net of idle, the idle GPU's is ~0
    const [a, , o] = docs.map((d) => d.summary.joulesPerImage);
    expect(a.mean!).toBeGreaterThan(3 * o.mean!);
    expect(Math.abs(o.netMean!)).toBeLessThan(3);
    // live rows equal the report's (rows waited for the decision)
    const rep = JSON.parse((await spawnCli(['report', join(dir, 'auto.json'), '--json'])).out).sessions[0];
    expect(rep.summary.joulesPerImage.mean).toBeCloseTo(a.mean!, 6);
  }, 60000);

  it('an interface without process lists: all GPUs, with a note', async () => {
    const dir = tempDir('gw-sim2-nolist-');
    const r = await spawnCli([
      'run',
      '--probe',
      'simulated',
      '--sim-gpus',
      '2',
      '--idle',
      '0',
      '--plain',
      '--record',
      join(dir, 'r.json'),
      '--out',
      join(dir, 'o'),
      '--no-sim-process-list',
      '--',
      ...gen(join(dir, 'o'), '--gpu', '1'),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/charging GPUs sim-0, sim-1 to this run \(all GPUs: their interface lists no processes\)/);
    expect((await readSession(join(dir, 'r.json'))).doc.run.gpus).toEqual(['sim-0', 'sim-1']);
  }, 30000);

  it('a GPU that is not here is a usage error naming the ones there are', async () => {
    const r = await spawnCli(['run', '--probe', 'simulated', '--sim-gpus', '2', '--gpu', '5', '--idle', '0', '--no-record', '--out', tempDir(), '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--gpu 5: no such GPU here \(GPUs: 0 sim-0, 1 sim-1\)/);
  });
});
