/**
 * The NVML probe without a GPU: the FFI binding cannot run in CI, so the probe runs against a fake
 * binding that answers like NVML does (values seen on the H100: driver 580.159.04, ~72 W idle,
 * counter in mJ; NOT_SUPPORTED as laptop and pre-Volta GPUs answer for the energy counter). The real
 * binding ran on the H100: bench/RESULTS.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, ROOT, spawnCli, tempDir, waitFor } from '../../helpers/gen.js';
import { existsSync } from 'node:fs';
import { FI_DEV_POWER_INSTANT, NVML, type Answer } from '../../../probes/nvidia/nvml-binding.js';
import { CounterGuard, mapPoll, reasonNames } from '../../../probes/nvidia/nvml-map.js';
import { normalizeBusId, NvmlProbe } from '../../../probes/nvidia/nvml-probe.js';
import { collect } from '../../helpers/sink.js';
import { fakeNvml } from '../../helpers/fake-nvml.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';

const ok = <T>(value: T): Answer<T> => ({ ret: NVML.SUCCESS, value });
const no = <T>(ret: number = NVML.ERROR_NOT_SUPPORTED): Answer<T> => ({ ret });

describe('mapPoll', () => {
  it('instant power from field 186, counter in J, v2 memory, reasons by name', () => {
    const m = mapPoll('gpu', {
      tMs: 1,
      energyMj: ok(2_880_400),
      fields: ok([{ fieldId: FI_DEV_POWER_INSTANT, ret: 0, timestampUs: 0, value: 71_887 }]),
      memory: ok({ totalBytes: 85_520_809_984, usedBytes: 0, reservedBytes: 500_000_000 }),
      utilization: ok({ gpu: 97, memory: 40 }),
      temperatureC: ok(34),
      smClockMhz: ok(1980),
      clockEventReasons: ok(0x5n),
    });
    expect(m.reading).toEqual({
      deviceId: 'gpu',
      tMs: 1,
      powerWatts: 71.887,
      powerKind: 'instant',
      vramUsedBytes: 0,
      utilizationPercent: 97,
      temperatureC: 34,
      clockMhz: 1980,
      throttleReasons: ['sw-power-cap'],
    });
    expect(m.counterJoules).toBeCloseTo(2880.4, 6);
    expect(m.problems).toEqual([]);
  });

  it('NOT_SUPPORTED makes a metric absent, never 0, and is not a problem; other errors are problems', () => {
    const m = mapPoll('gpu', {
      tMs: 1,
      energyMj: no(),
      fields: ok([{ fieldId: FI_DEV_POWER_INSTANT, ret: NVML.ERROR_NOT_SUPPORTED, timestampUs: 0, value: 0 }]),
      averageMw: ok(31_000),
      temperatureC: no(NVML.ERROR_GPU_IS_LOST),
      utilization: no(NVML.ERROR_FUNCTION_NOT_FOUND),
    });
    expect(m.reading).toEqual({ deviceId: 'gpu', tMs: 1, powerWatts: 31, powerKind: 'average' });
    expect(m.counterJoules).toBeUndefined();
    expect(m.unsupported.sort()).toEqual(['energyMj', 'fields', 'utilization']);
    expect(m.problems).toEqual([{ metric: 'temperatureC', ret: NVML.ERROR_GPU_IS_LOST }]);
  });

  it('reason bits follow nvml.h; gpu-idle is not a throttle', () => {
    expect(reasonNames(0x1n | 0x8n | 0x40n)).toEqual(['gpu-idle', 'hw-slowdown', 'hw-thermal']);
  });
});

describe('CounterGuard', () => {
  function feedSteady(g: CounterGuard, fromMs: number, toMs: number, watts: number, joulesAt: (t: number) => number, every = 100) {
    const out: ReturnType<CounterGuard['feed']>[] = [];
    for (let t = fromMs; t <= toMs; t += every) out.push(g.feed(t, joulesAt(t), watts));
    return out;
  }

  it('trusts the counter once it advanced like power over a second, then reports it', () => {
    const g = new CounterGuard();
    const out = feedSteady(g, 0, 1500, 72, (t) => 1000 + 0.0715 * t);
    expect(out.slice(0, 10).every((o) => o.energyJoules === undefined)).toBe(true);
    const first = out.find((o) => o.note)!;
    expect(first.note).toMatch(/energy counter checked: 71\.5 J vs 72\.0 J/);
    expect(out.at(-1)!.energyJoules).toBeCloseTo(1000 + 0.0715 * 1500, 6);
  });

  it('a counter 2× off from power is not used', () => {
    const g = new CounterGuard();
    const out = feedSteady(g, 0, 3000, 72, (t) => 1000 + 0.144 * t);
    expect(out.every((o) => o.energyJoules === undefined)).toBe(true);
    expect(out.some((o) => /not consistent with power/.test(o.note ?? ''))).toBe(true);
  });

  it('a reset (driver reload) withdraws it until it checks out again', () => {
    const g = new CounterGuard();
    feedSteady(g, 0, 1500, 100, (t) => 5000 + 0.1 * t);
    const reset = g.feed(1600, 3, 100);
    expect(reset.energyJoules).toBeUndefined();
    expect(reset.note).toMatch(/went backwards/);
    const after = feedSteady(g, 1700, 3000, 100, (t) => 3 + 0.1 * (t - 1600));
    expect(after.some((o) => /checked/.test(o.note ?? ''))).toBe(true);
    expect(after.at(-1)!.energyJoules).toBeCloseTo(3 + 140, 6);
  });

  it('a stalled counter (no advance for 2 s while drawing power) is withdrawn', () => {
    const g = new CounterGuard();
    feedSteady(g, 0, 1500, 300, (t) => 0.3 * t);
    const out = feedSteady(g, 1600, 4000, 300, () => 450);
    expect(out.some((o) => /stalled/.test(o.note ?? ''))).toBe(true);
    expect(out.at(-1)!.energyJoules).toBeUndefined();
  });

  it('read once a second (as the probe does), it still checks out', () => {
    const g = new CounterGuard();
    const out: ReturnType<CounterGuard['feed']>[] = [];
    for (let t = 0; t <= 3000; t += 100) out.push(g.feed(t, t % 1000 === 0 ? 10 + 0.7 * t : undefined, 700));
    expect(out.filter((o) => o.energyJoules !== undefined).length).toBeGreaterThanOrEqual(2);
  });
});

describe('NvmlProbe (fake binding)', () => {
  it('detects GPUs keyed by the bus id as nvidia-smi prints it, with limit, VRAM total, driver; names the method', async () => {
    const p = new NvmlProbe({ load: async () => fakeNvml({ count: 2 }) });
    const d = await p.detect();
    expect(d.status).toBe('ok');
    expect(d.method).toBe('NVML (driver 580.159.04), instant power, energy counter');
    expect(d.devices.map((x) => x.id)).toEqual(['00000000:00:06.0', '00000000:01:06.0']);
    expect(d.devices[0]).toMatchObject({
      vendor: 'nvidia',
      probe: 'nvml',
      powerLimitWatts: 700,
      vramTotalBytes: 85_520_809_984,
      driverVersion: '580.159.04',
      uuid: 'GPU-055859d8-5e23-173b-46dd-77c952dac028',
      powerScope: 'board',
    });
    await p.close();
  });

  it('average power only (no field 186, drivers before 530): its width from the architecture, as NVML documents nvmlDeviceGetPowerUsage', async () => {
    const width = async (o: Parameters<typeof fakeNvml>[0]) => {
      const p = new NvmlProbe({ load: async () => fakeNvml({ instant: false, ...o }) });
      const d = await p.detect();
      await p.close();
      return { ms: d.devices[0].powerAverageMs, method: d.method };
    };
    expect(await width({})).toEqual({ ms: 1000, method: 'NVML (driver 580.159.04), AVERAGE power only (1 s, power recovered from it), energy counter' });
    expect((await width({ name: 'NVIDIA GeForce RTX 3060 Laptop GPU', arch: 7 })).ms).toBe(1000);
    // "On GA100 and older architectures, instantaneous power is returned"
    expect(await width({ name: 'NVIDIA A100-SXM4-80GB', arch: 7 })).toEqual({
      ms: undefined,
      method: 'NVML (driver 580.159.04), AVERAGE power only, energy counter',
    });
    expect((await width({ name: 'Quadro P2000', arch: 4 })).ms).toBeUndefined();
    expect((await width({ arch: 0 })).ms).toBeUndefined(); // no architecture call: not known, not corrected
  });

  it('no library, or nvmlInit failing: unavailable with the reason (genwatt then uses nvidia-smi)', async () => {
    const a = await new NvmlProbe({
      load: async () => Promise.reject(new Error('NVML library not found (libnvidia-ml.so.1: cannot open shared object file)')),
    }).detect();
    expect(a).toMatchObject({ status: 'unavailable', devices: [] });
    expect(a.reason).toMatch(/libnvidia-ml\.so\.1/);
    const b = await new NvmlProbe({ load: async () => fakeNvml({ init: NVML.ERROR_DRIVER_NOT_LOADED }) }).detect();
    expect(b.reason).toBe('nvmlInit failed: Driver Not Loaded (9)');
  });

  /** Waits until the probe has ticked `n` more times (each tick reads memory once per GPU). */
  const ticks = async (nv: ReturnType<typeof fakeNvml>, n: number, gpus = 1) => {
    const f = nv.calls.memory;
    await waitFor(() => nv.calls.memory >= f + n * gpus, 20_000, 5);
  };

  it('streams readings: instant power every tick, counter and slow metrics once a second; counter reported once checked', async () => {
    const nv = fakeNvml(); // 50 ms of its clock per tick
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await ticks(nv, 46); // 2.3 s of the GPU's clock
    await p.close();
    const n = c.readings.length;
    expect(n).toBeGreaterThanOrEqual(46);
    expect(c.readings.every((r) => r.powerKind === 'instant' && r.powerWatts === 72)).toBe(true);
    // once a second (half an interval of slack), not at every tick: detect's read, then 0, 1000, 2000 ms of the run
    const runReads = nv.energyAtMs.slice(1);
    expect(runReads.length, runReads.join(' ')).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < runReads.length; i++) expect(runReads[i] - runReads[i - 1]).toBeGreaterThanOrEqual(975);
    expect(nv.calls.fields).toBe(n + 1); // detect read once
    expect(c.readings.filter((r) => r.utilizationPercent !== undefined).length).toBe(nv.calls.slow - 1); // detect read once
    expect(c.readings.filter((r) => r.utilizationPercent !== undefined).length).toBeLessThanOrEqual(Math.ceil(n / 19));
    expect(c.notes.some((x) => /energy counter checked/.test(x))).toBe(true);
    expect(c.readings.some((r) => r.energyJoules !== undefined)).toBe(true);
    expect(c.readings[0].energyJoules).toBeUndefined(); // not before the check
  });

  it('a measured run reads the counter at every sample (setCounterInterval), so windows use its difference directly', async () => {
    const nv = fakeNvml();
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    p.setCounterInterval(50);
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await waitFor(() => c.readings.filter((r) => r.energyJoules !== undefined).length >= 5, 20_000, 5);
    await p.close();
    expect(nv.calls.energy).toBe(nv.calls.fields);
    const counted = c.readings.filter((r) => r.energyJoules !== undefined);
    // consecutive counter readings one 50 ms tick apart
    expect(counted[1].tMs - counted[0].tMs).toBe(50);
    expect(counted[1].energyJoules! - counted[0].energyJoules!).toBeCloseTo(72 * 0.05, 9);
  });

  it('readCounterNow(true) (a run starts or ends): one counter-only reading per GPU at once, outside the schedule, once the counter is checked; an image completing reads none where there is instant power', async () => {
    const nv = fakeNvml({ count: 2, stepMs: 100 });
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    const c = collect();
    p.start(c.sink, intervalPolicy(100));
    p.readCounterNow(true); // before the guard trusts the counter: nothing reported
    expect(c.readings.filter((r) => r.powerWatts === undefined)).toEqual([]);
    await waitFor(() => c.notes.filter((x) => /energy counter checked/.test(x)).length === 2, 20_000, 5);
    const before = nv.calls.energy;
    const n = c.readings.length;
    p.readCounterNow(); // an image completed: its edges lie between the scheduled reads
    expect(nv.calls.energy).toBe(before);
    p.readCounterNow(true);
    expect(nv.calls.energy).toBe(before + 2);
    const extra = c.readings.slice(n);
    expect(extra.map((r) => Object.keys(r).sort())).toEqual([
      ['deviceId', 'energyJoules', 'tMs'],
      ['deviceId', 'energyJoules', 'tMs'],
    ]);
    expect(extra.map((r) => r.deviceId)).toEqual(['00000000:00:06.0', '00000000:01:06.0']);
    await p.close();
  });

  it('a run (counter every 2 s) with images completing 4 times a second: the counter is read every 2 s, not per image', async () => {
    const nv = fakeNvml({ stepMs: 0 }); // the test sets the clock
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    p.setCounterInterval(2000);
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await ticks(nv, 2);
    const e0 = nv.calls.energy;
    for (let t = 50; t <= 10_000; t += 50) {
      nv.clock.ms = t;
      await ticks(nv, 1);
      if (t % 250 === 0) p.readCounterNow(); // an image completed
    }
    await p.close();
    // 10 s of run: reads at 2, 4, 6, 8, 10 s (half a tick of slack), none at the 40 images
    expect(nv.calls.energy - e0).toBe(5);
  });

  it('a GPU without instant power gets a read at each completed image, and it stands for the scheduled one: the next scheduled read comes a counter period after it', async () => {
    const nv = fakeNvml({ stepMs: 0, instant: false }); // the test sets the clock
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    const c = collect();
    p.start(c.sink, intervalPolicy(20));
    await ticks(nv, 2); // the first tick read the counter (t = 0)
    const e0 = nv.calls.energy;
    nv.clock.ms = 500;
    p.readCounterNow(); // an image completed
    expect(nv.calls.energy).toBe(e0 + 1);
    nv.clock.ms = 1400; // a period after the t = 0 read, not after the image's: no scheduled read yet
    await ticks(nv, 3);
    expect(nv.calls.energy).toBe(e0 + 1);
    nv.clock.ms = 1500; // a period after the image's read
    await ticks(nv, 2);
    expect(nv.calls.energy).toBe(e0 + 2);
    await p.close();
  });

  it('process lists per GPU (the real two-H200 capture: pid 717 on the first, 718 on the second, 19464 MiB each); the counter read only on the charged GPU', async () => {
    // fixtures/nvidia/nvidia-smi-query-compute-apps_h200x2_drv580.159.04.csv: what NVML's compute list held then
    const apps = readFileSync(join(ROOT, 'fixtures/nvidia/nvidia-smi-query-compute-apps_h200x2_drv580.159.04.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map((x) => x.trim()));
    const nv = fakeNvml({ count: 2, stepMs: 100 });
    const f = nv as unknown as Record<string, unknown>;
    f.pciBusId = (h: unknown) => ok(apps[(h as { i: number }).i][3]);
    f.computeProcesses = (h: unknown) => {
      const a = apps[(h as { i: number }).i];
      return ok([{ pid: Number(a[0]), usedBytes: Number.parseInt(a[4], 10) * 1024 * 1024 }]);
    };
    f.graphicsProcesses = () => ok([]);
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    const d = await p.detect();
    expect(d.devices.map((x) => x.id)).toEqual(['00000000:00:06.0', '00000000:00:07.0']);
    const lists = await p.processes();
    expect([...lists!.entries()]).toEqual([
      ['00000000:00:06.0', [{ pid: 717, usedBytes: 19464 * 1024 * 1024 }]],
      ['00000000:00:07.0', [{ pid: 718, usedBytes: 19464 * 1024 * 1024 }]],
    ]);
    // a run charged to the second GPU reads only its counter
    p.setCounterDevices(['00000000:00:07.0']);
    const c = collect();
    p.start(c.sink, intervalPolicy(100));
    await waitFor(() => c.readings.some((r) => r.energyJoules !== undefined), 20_000, 5);
    const before = nv.calls.energy;
    p.readCounterNow(true);
    expect(nv.calls.energy).toBe(before + 1);
    await ticks(nv, 11, 2); // past the next scheduled read
    await p.close();
    expect(c.readings.filter((r) => r.energyJoules !== undefined).every((r) => r.deviceId === '00000000:00:07.0')).toBe(true);
  });

  it('process lists: NOT_SUPPORTED is "no list"; any other NVML error is a failed look, thrown with its name, not an empty list', async () => {
    const nv = fakeNvml({ count: 2, stepMs: 100 });
    const f = nv as unknown as Record<string, unknown>;
    f.computeProcesses = () => ({ ret: NVML.ERROR_NOT_SUPPORTED });
    f.graphicsProcesses = () => ({ ret: NVML.ERROR_NOT_SUPPORTED });
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    expect(await p.processes()).toBeNull();
    f.computeProcesses = () => ({ ret: 15 }); // NVML_ERROR_GPU_IS_LOST
    await expect(p.processes()).rejects.toThrow(/NVML could not list the processes on \S+: GPU is lost/);
    await p.close();
  });

  it('a laptop-like GPU (no counter, no instant field): average power, marked so, no errors', async () => {
    const nv = fakeNvml({ energy: false, instant: false, name: 'Quadro P2000', arch: 4 });
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    const d = await p.detect();
    expect(d.method).toBe('NVML (driver 580.159.04), AVERAGE power only, no energy counter');
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await ticks(nv, 22); // past a counter period: an unsupported counter is not asked again
    await p.close();
    expect(c.readings.length).toBeGreaterThanOrEqual(3);
    expect(c.readings.every((r) => r.powerKind === 'average' && r.energyJoules === undefined)).toBe(true);
    expect(c.notes).toEqual([]);
    // Unsupported calls are not repeated.
    expect(nv.calls.energy).toBe(1);
    expect(nv.shut).toBe(true);
  });

  it('a lost GPU is noted once and marked as a gap', async () => {
    const nv = fakeNvml({ lost: true });
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms, slowMs: 0 });
    await p.detect();
    const c = collect();
    p.start(c.sink, intervalPolicy(30));
    await ticks(nv, 5); // every tick asks the lost GPU's temperature again
    await p.close();
    expect(c.notes.filter((n) => /GPU is lost/.test(n))).toHaveLength(1);
    expect(c.gaps.some((g) => /GPU is lost/.test(g.reason))).toBe(true);
  });

  it('bus ids are normalized to nvidia-smi form', () => {
    expect(normalizeBusId('0000:3b:00.0')).toBe('00000000:3B:00.0');
    expect(normalizeBusId('00000000:00:06.0')).toBe('00000000:00:06.0');
    expect(normalizeBusId('weird')).toBe('weird');
  });
});

/**
 * A fake sysfs tree (the files Documentation/ABI/testing/sysfs-devices-power and sysfs-bus-pci
 * document: vendor, class, power/runtime_status, power_state) with one NVIDIA GPU in runtime suspend,
 * as a hybrid laptop's discrete GPU sleeps when idle.
 */
function sleepingTree(state = 'suspended', power = 'D3cold'): { root: string; set: (state: string, power: string) => void } {
  const root = tempDir();
  const dev = join(root, 'bus/pci/devices/0000:01:00.0');
  mkdirSync(join(dev, 'power'), { recursive: true });
  writeFileSync(join(dev, 'vendor'), '0x10de\n');
  writeFileSync(join(dev, 'class'), '0x030200\n');
  const set = (st: string, pw: string) => {
    writeFileSync(join(dev, 'power/runtime_status'), `${st}\n`);
    writeFileSync(join(dev, 'power_state'), `${pw}\n`);
  };
  set(state, power);
  return { root, set };
}

describe('a GPU in runtime suspend is not woken', () => {
  it('monitoring: no NVML call while it sleeps (sysfs only, shown asleep); NVML is opened once it wakes', async () => {
    const tree = sleepingTree();
    let opened = 0;
    const nv = fakeNvml({ name: 'NVIDIA GeForce RTX 3060 Laptop GPU', arch: 7 });
    const p = new NvmlProbe({ sysfsRoot: tree.root, now: () => nv.clock.ms, load: async () => (opened++, nv) });
    const d = await p.detect();
    expect(opened).toBe(0);
    expect(d).toMatchObject({ status: 'ok', method: 'sysfs only: the NVIDIA GPU is asleep (D3cold), not woken; NVML is opened when one wakes' });
    expect(d.devices[0]).toMatchObject({ id: '00000000:01:00.0', pmAtStart: 'suspended (D3cold)' });
    const c = collect();
    p.start(c.sink, intervalPolicy(20));
    await waitFor(() => c.readings.length >= 5);
    expect(opened).toBe(0);
    expect(c.readings.every((r) => r.pmState === 'suspended (D3cold)' && r.powerWatts === undefined)).toBe(true);
    tree.set('active', 'D0'); // the generator woke it
    await waitFor(() => c.readings.some((r) => r.powerWatts !== undefined));
    await p.close();
    expect(opened).toBe(1);
    expect(c.notes.some((n) => /a GPU woke \(00000000:01:00\.0\): reading it through NVML now/.test(n))).toBe(true);
  });

  it('one GPU asleep beside an awake one: NVML is open, but the sleeping one gets no call (readings, counter, processes) until it wakes', async () => {
    const tree = sleepingTree();
    // the fake's second GPU is 00000000:01:06.0: that one sleeps, 00000000:00:06.0 is awake
    const awake = join(tree.root, 'bus/pci/devices/0000:00:06.0');
    mkdirSync(join(awake, 'power'), { recursive: true });
    writeFileSync(join(awake, 'vendor'), '0x10de\n');
    writeFileSync(join(awake, 'class'), '0x030000\n');
    writeFileSync(join(awake, 'power/runtime_status'), 'active\n');
    const asleep = join(tree.root, 'bus/pci/devices/0000:01:06.0');
    mkdirSync(join(asleep, 'power'), { recursive: true });
    writeFileSync(join(asleep, 'vendor'), '0x10de\n');
    writeFileSync(join(asleep, 'class'), '0x030200\n');
    writeFileSync(join(asleep, 'power/runtime_status'), 'suspended\n');
    writeFileSync(join(asleep, 'power_state'), 'D3cold\n');
    writeFileSync(join(tree.root, 'bus/pci/devices/0000:01:00.0/power/runtime_status'), 'active\n'); // not one of the fake's GPUs
    const nv = fakeNvml({ count: 2 });
    const touched: number[] = [];
    for (const k of ['memory', 'fieldValues', 'totalEnergyMj', 'computeProcesses'] as const) {
      const f = nv[k] as (h: { i: number }, ...rest: unknown[]) => unknown;
      (nv as unknown as Record<string, unknown>)[k] = (h: { i: number }, ...rest: unknown[]) => (touched.push(h.i), f(h, ...rest));
    }
    const p = new NvmlProbe({ sysfsRoot: tree.root, now: () => nv.clock.ms, load: async () => nv });
    await p.detect();
    touched.length = 0; // detect reads GPU 0 once; from here on only the awake one
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await waitFor(() => c.readings.filter((r) => r.deviceId === '00000000:01:06.0').length >= 3);
    p.readCounterNow(true);
    await p.processes();
    await p.close();
    expect(new Set(touched)).toEqual(new Set([0]));
    expect(c.readings.filter((r) => r.deviceId === '00000000:01:06.0').every((r) => r.pmState === 'suspended (D3cold)')).toBe(true);
    expect(c.readings.some((r) => r.deviceId === '00000000:00:06.0' && r.powerWatts === 72)).toBe(true);
  });

  it('a measured run wakes it to measure it, says so, and records the state it found, P-state, persistence and display', async () => {
    const tree = sleepingTree();
    const nv = fakeNvml();
    const p = new NvmlProbe({ sysfsRoot: tree.root, wakeSleeping: true, now: () => nv.clock.ms, load: async () => nv });
    const d = await p.detect();
    expect(d.method).toMatch(/; woke 00000000:00:06\.0|; woke 00000000:01:00\.0/);
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await waitFor(() => c.readings.some((r) => r.pState !== undefined));
    await p.close();
    expect(c.notes[0]).toMatch(
      /was asleep \(runtime suspend\) when genwatt started; opening NVML woke it, so an idle baseline includes what keeping it awake costs/,
    );
    expect(d.devices[0]).toMatchObject({ persistenceMode: true, displayActive: false });
    expect(c.readings.find((r) => r.pState !== undefined)?.pState).toBe(0);
  });

  it('genwatt probe and monitor: the sleeping GPU is shown asleep, and nvidia-smi is never started', async () => {
    const tree = sleepingTree();
    const spawns = join(tree.root, 'nvidia-smi-spawns');
    const env = { GENWATT_SYSFS: tree.root, PATH: `${FAKE_BIN}:${process.env.PATH}`, FAKE_NVSMI_SPAWNS: spawns };
    const probe = await spawnCli(['probe', '--probe', 'nvml', '--probe', 'nvidia-smi'], env);
    expect(probe.out).toMatch(/probe nvml +ok +sysfs only: the NVIDIA GPU is asleep \(D3cold\), not woken/);
    expect(probe.out).toMatch(/probe nvidia-smi +unavailable .*nvidia-smi would wake it/);
    expect(probe.out).toMatch(/00000000:01:00\.0 +NVIDIA GPU +asleep \(D3cold\), not woken/);
    const mon = await spawnCli(['monitor', '--plain', '--probe', 'nvml', '--probe', 'nvidia-smi', '--interval', '200', '--no-record', '--timeout', '1'], env);
    expect(mon.out).toMatch(/00000000:01:00\.0 +asleep \(D3cold\), not woken/);
    expect(existsSync(spawns)).toBe(false);
  });
});
