/**
 * PCIe traffic and free VRAM through NVML (fake binding, test/helpers/fake-nvml.ts): the byte counter
 * fields 197/198 in the same call as instant power; drivers without them (NOT_SUPPORTED per field, or
 * the call refused as a whole) fall back to nvmlDeviceGetPcieThroughput once a second; neither: no
 * PCIe figure at all (absent, never 0).
 */
import { describe, expect, it } from 'vitest';
import { NvmlProbe } from '../../../probes/nvidia/nvml-probe.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';
import { fakeNvml } from '../../helpers/fake-nvml.js';
import { collect } from '../../helpers/sink.js';
import { waitFor } from '../../helpers/gen.js';

async function stream(pcie: 'fields' | 'throughput' | 'refuse' | 'none', ticks = 25, more: Parameters<typeof fakeNvml>[0] = {}) {
  const nv = fakeNvml({ pcie, ...more });
  const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
  await p.detect();
  const c = collect();
  // a 20 ms timer: the fake's own clock still moves 50 ms a tick, so the test takes less wall time
  p.start(c.sink, intervalPolicy(20));
  const from = nv.calls.memory;
  await waitFor(() => nv.calls.memory >= from + ticks, 20_000, 5);
  await p.close();
  return { nv, readings: c.readings.filter((r) => r.powerWatts !== undefined), notes: c.notes };
}

describe('NVML PCIe traffic', () => {
  it('byte counters (197/198) ride with instant power at every tick, with free VRAM; no throughput call', async () => {
    const { nv, readings } = await stream('fields');
    expect(readings.every((r) => r.pcieRxBytes !== undefined && r.pcieTxBytes !== undefined && r.vramFreeBytes === 84_987_740_160)).toBe(true);
    const [a, b] = readings;
    expect((b.pcieRxBytes! - a.pcieRxBytes!) / ((b.tMs - a.tMs) / 50)).toBeCloseTo(2e9, -3); // host→GPU: 2 GB a 50 ms tick
    expect(nv.calls.throughput ?? 0).toBe(0);
    expect(readings.some((r) => r.pcieRxBytesPerSec !== undefined)).toBe(false);
  });

  it('32-bit counters (as the H100 driver answers them) wrap every 4 GiB: readings carry one growing count', async () => {
    const { readings, notes } = await stream('fields', 25, { pcie32: true });
    const rx = readings.map((r) => r.pcieRxBytes!);
    expect(rx.at(-1)!).toBeGreaterThan(2 ** 33); // wrapped at least twice on the way
    for (let i = 1; i < readings.length; i++) expect((rx[i] - rx[i - 1]) / ((readings[i].tMs - readings[i - 1].tMs) / 50)).toBeCloseTo(2e9, -3);
    expect(notes.some((n) => /wrap/.test(n))).toBe(false);
  });

  it('32-bit counters read over a second apart: counted as the least they can be, said once', async () => {
    const { readings, notes } = await stream('fields', 6, { pcie32: true, stepMs: 1200 });
    expect(readings.every((r, i) => i === 0 || r.pcieRxBytes! >= readings[i - 1].pcieRxBytes!)).toBe(true);
    expect(notes.filter((n) => /PCIe byte counters \(32-bit, they wrap every 4 GiB\) were once read over 1 s apart/.test(n)).length).toBe(1);
  });

  it('only where images are measured: none while monitoring, and on a run only its charged GPUs; a GPU read again starts its count over', async () => {
    // The byte counters cost ~0.3-0.6 ms of CPU a call on an H100 (instant power alone 12 µs): at
    // 10 Hz on eight GPUs a run charged to one would spend 30-50 ms a second on the other seven.
    const nv = fakeNvml({ pcie: 'fields', count: 2, pcie32: true });
    const asked: number[][] = [];
    const fv = nv.fieldValues.bind(nv);
    nv.fieldValues = (h, ids) => (asked.push([...ids]), fv(h, ids));
    const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await p.detect();
    p.setCounterInterval(Number.POSITIVE_INFINITY); // monitor: no image is measured
    const c = collect();
    p.start(c.sink, intervalPolicy(20));
    let from = nv.calls.memory;
    await waitFor(() => nv.calls.memory >= from + 10, 20_000, 5);
    expect(c.readings.some((r) => r.pcieRxBytes !== undefined)).toBe(false);
    expect(asked.slice(-10).every((ids) => ids.length === 1)).toBe(true);
    await p.close();

    const q = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
    await q.detect();
    q.setCounterInterval(2000);
    q.setCounterDevices(['00000000:01:06.0']); // a run charged to the second GPU
    const d = collect();
    q.start(d.sink, intervalPolicy(20));
    from = nv.calls.memory;
    await waitFor(() => nv.calls.memory >= from + 20, 20_000, 5);
    const byGpu = (id: string) => d.readings.filter((r) => r.deviceId === id && r.powerWatts !== undefined);
    expect(byGpu('00000000:00:06.0').some((r) => r.pcieRxBytes !== undefined)).toBe(false);
    expect(byGpu('00000000:01:06.0').every((r) => r.pcieRxBytes !== undefined)).toBe(true);
    // both GPUs again (the charge undecided): the first GPU's count starts from its raw value, the
    // second's keeps growing across its wraps
    const n = d.readings.length;
    q.setCounterDevices(null);
    from = nv.calls.memory;
    await waitFor(() => nv.calls.memory >= from + 10, 20_000, 5);
    await q.close();
    const first = d.readings.slice(n).filter((r) => r.deviceId === '00000000:00:06.0' && r.pcieRxBytes !== undefined);
    expect(first.length).toBeGreaterThan(2);
    expect(first[0].pcieRxBytes!).toBeLessThan(2 ** 32);
    const second = byGpu('00000000:01:06.0').map((r) => r.pcieRxBytes!);
    expect(second.at(-1)!).toBeGreaterThan(2 ** 33);
    for (let i = 1; i < second.length; i++) expect(second[i]).toBeGreaterThanOrEqual(second[i - 1]);
  });

  for (const mode of ['throughput', 'refuse'] as const)
    it(`no byte counters (${mode === 'refuse' ? 'the call refused for the newer ids' : 'NOT_SUPPORTED per field'}): the 20 ms throughput sample once a second, in bytes/s; instant power kept`, async () => {
      const { nv, readings } = await stream(mode, 45);
      expect(readings.every((r) => r.powerKind === 'instant' && r.pcieRxBytes === undefined)).toBe(true);
      const rated = readings.filter((r) => r.pcieRxBytesPerSec !== undefined);
      expect(rated.length).toBeGreaterThanOrEqual(2);
      expect(rated.length).toBeLessThanOrEqual(Math.ceil(readings.length / 19) + 1);
      expect(rated[0]).toMatchObject({ pcieRxBytesPerSec: 4_000_000 * 1024, pcieTxBytesPerSec: 1_000 * 1024 });
      // two calls (RX, TX) per slow read and nothing more: each waits ~20 ms in the driver
      // (a refused call is known before detect's slow read, which then asks the throughput too)
      expect(nv.calls.throughput).toBe(2 * rated.length + (mode === 'refuse' ? 2 : 0));
    });

  it('neither interface: no PCIe field in any reading (n/a downstream), and it stops asking', async () => {
    const { nv, readings } = await stream('none');
    expect(readings.some((r) => r.pcieRxBytes !== undefined || r.pcieRxBytesPerSec !== undefined || r.pcieTxBytesPerSec !== undefined)).toBe(false);
    expect(nv.calls.throughput).toBe(2); // asked once (NOT_SUPPORTED), then skipped
  });
});
