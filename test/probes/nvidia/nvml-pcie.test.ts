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

async function stream(pcie: 'fields' | 'throughput' | 'refuse' | 'none', ticks = 25) {
  const nv = fakeNvml({ pcie });
  const p = new NvmlProbe({ load: async () => nv, now: () => nv.clock.ms });
  await p.detect();
  const c = collect();
  // a 20 ms timer: the fake's own clock still moves 50 ms a tick, so the test takes less wall time
  p.start(c.sink, intervalPolicy(20));
  const from = nv.calls.memory;
  await waitFor(() => nv.calls.memory >= from + ticks, 20_000, 5);
  await p.close();
  return { nv, readings: c.readings.filter((r) => r.powerWatts !== undefined) };
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
