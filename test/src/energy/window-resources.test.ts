/** Per-image PCIe bytes, host memory, swap, free VRAM and heat over a window (pure), with unknown as null. */
import { describe, expect, it } from 'vitest';
import {
  counterDelta,
  isOffload,
  OFFLOAD_MIN_BYTES,
  rateIntegral,
  throttleShares,
  topThrottle,
  windowHeat,
  windowMemory,
  type ResourceSample,
} from '../../../src/energy/window-resources.js';

const GB = 1e9;

describe('window resources', () => {
  it('a byte counter: interpolated at the edges, a reset (counter went back) left out, null when an edge has no read beyond it', () => {
    const s: ResourceSample[] = [
      { tMs: 0, pcieRxBytes: 0 },
      { tMs: 1000, pcieRxBytes: 1 * GB },
      { tMs: 2000, pcieRxBytes: 3 * GB },
      { tMs: 3000, pcieRxBytes: 0.5 * GB }, // driver reload: restarts from 0
      { tMs: 4000, pcieRxBytes: 1.5 * GB },
    ];
    expect(counterDelta(s, 'pcieRxBytes', 500, 2000)).toBeCloseTo(2.5 * GB, -3);
    // 2 → 3 GB (2 GB at 1.5 s, interpolated), the reset step dropped, then 0.5 → 1.5 GB
    expect(counterDelta(s, 'pcieRxBytes', 1500, 4000)).toBeCloseTo(1 * GB + 1 * GB, -3);
    expect(counterDelta(s, 'pcieRxBytes', 3500, 4500)).toBeNull();
    expect(counterDelta(s, 'pcieTxBytes', 0, 1000)).toBeNull(); // no such counter: unknown, not 0
  });

  it('a rate (dmon, pcie_bw: the mean since the previous reading) integrated; half the window uncovered is null', () => {
    const s: ResourceSample[] = [0, 1000, 2000, 3000].map((t) => ({ tMs: t, pcieRxBytesPerSec: t === 2000 ? 4 * GB : 1 * GB }));
    // (1000, 2000] at 4 GB/s and (2000, 3000] at 1 GB/s
    expect(rateIntegral(s, 'pcieRxBytesPerSec', 1000, 3000)).toBeCloseTo(5 * GB, -3);
    expect(rateIntegral(s, 'pcieRxBytesPerSec', 10_000, 12_000)).toBeNull();
  });

  it('throttle shares: each clock-reason read held until the next; the busiest one named', () => {
    const s: ResourceSample[] = [
      { tMs: 0, throttleReasons: [] },
      { tMs: 1000, throttleReasons: ['sw-power-cap'] },
      { tMs: 2000, throttleReasons: ['sw-power-cap', 'sw-thermal'] },
      { tMs: 3000, throttleReasons: [] },
    ];
    const t = throttleShares(s, 0, 4000)!;
    expect(t.any).toBeCloseTo(0.5);
    expect(t.throttle).toEqual({ 'sw-power-cap': 0.5, 'sw-thermal': 0.25 });
    expect(topThrottle({ throttle: t.throttle })).toEqual({ reason: 'sw-power-cap', share: 0.5 });
    expect(throttleShares([{ tMs: 0, temperatureC: 40 }], 0, 1000)).toBeNull(); // no reasons read: n/a
  });

  it('memory over a window: bytes summed over the charged GPUs (null if one has none), host RSS peak, swap, lowest free VRAM', () => {
    const gpu = (rx: number): ResourceSample[] => [
      { tMs: 0, pcieRxBytes: 0, pcieTxBytes: 0, vramFreeBytes: 10 * GB },
      { tMs: 1000, pcieRxBytes: rx, pcieTxBytes: 1e6, vramFreeBytes: 2 * GB },
      { tMs: 2000, pcieRxBytes: rx, pcieTxBytes: 2e6, vramFreeBytes: 9 * GB },
    ];
    const host: ResourceSample[] = [
      { tMs: 0, generatorRssBytes: 3 * GB, swapInBytes: 4096, swapOutBytes: 0 },
      { tMs: 1500, generatorRssBytes: 7 * GB, swapInBytes: 4096 * 11, swapOutBytes: 4096 },
      { tMs: 2500, generatorRssBytes: 4 * GB, swapInBytes: 4096 * 11, swapOutBytes: 4096 },
    ];
    const m = windowMemory([gpu(5 * GB), gpu(1 * GB)], host, 0, 2000);
    expect(m).toMatchObject({ pcieRxBytes: 6 * GB, pcieTxBytes: 4e6, pcieMethod: 'counter', hostRssPeakBytes: 7 * GB, minFreeVramBytes: 2 * GB });
    expect(m.swapInBytes).toBeCloseTo(40960 * (1500 / 1500), 0);
    expect(m.swapOutBytes).toBeCloseTo(4096, 0);
    const none = windowMemory([gpu(5 * GB), [{ tMs: 0, vramFreeBytes: GB }]], undefined, 0, 2000);
    expect(none).toMatchObject({ pcieRxBytes: null, pcieTxBytes: null, pcieMethod: null, hostRssPeakBytes: null, swapInBytes: null, swapOutBytes: null });
  });

  it('heat: temperature at the edges, SM clock mean held between 1 s reads, n/a without readings', () => {
    const s: ResourceSample[] = [
      { tMs: 0, temperatureC: 40, clockMhz: 1000 },
      { tMs: 1000, temperatureC: 50, clockMhz: 2000 },
      { tMs: 2000, temperatureC: 60, clockMhz: 2000 },
    ];
    expect(windowHeat([s], 500, 2000)).toEqual({
      startC: 40,
      endC: 60,
      smClockMeanMhz: (500 * 1000 + 1000 * 2000) / 1500,
      throttle: null,
      throttledShare: null,
    });
    expect(windowHeat([[{ tMs: 0, powerWatts: 1 } as ResourceSample]], 0, 1000)).toEqual({
      startC: null,
      endC: null,
      smClockMeanMhz: null,
      throttle: null,
      throttledShare: null,
    });
  });

  it('offload: at least 1 GB host→GPU per image, or more than the generator holds in VRAM (256 MiB at least); unknown traffic is never offload', () => {
    expect(isOffload(OFFLOAD_MIN_BYTES, undefined)).toBe(true);
    expect(isOffload(0.004 * GB, 8 * GB)).toBe(false); // latents and pixels of a plain SDXL image
    expect(isOffload(0.6 * GB, 0.5 * GB)).toBe(true); // streamed more than it holds
    expect(isOffload(0.1 * GB, 0.05 * GB)).toBe(false); // under the floor
    expect(isOffload(null, 1)).toBe(false);
  });
});

describe('rows carry memory and heat (computeRows, the same code the live run and the report use)', () => {
  it('an offloading image is marked with its share of the bytes; the warm-up (model load) and a plain image are not', async () => {
    const { computeRows } = await import('../../../src/energy/image-rows.js');
    // 100 ms samples over 6 s; 5 GB host→GPU between 2.0 and 2.5 s (a re-upload before image 2), a few MB otherwise.
    const gpu = Array.from({ length: 61 }, (_, i) => {
      const t = i * 100;
      const rx = (t >= 2500 ? 5e9 : t > 2000 ? ((t - 2000) / 500) * 5e9 : 0) + t * 1000;
      return {
        tMs: t,
        powerWatts: 300,
        powerKind: 'instant' as const,
        pcieRxBytes: rx,
        pcieTxBytes: t * 500,
        vramFreeBytes: 7e10 - t * 1e6,
        temperatureC: 40 + t / 1000,
        clockMhz: 1980,
        ...(t % 1000 === 0 ? { throttleReasons: t >= 4000 ? ['sw-power-cap'] : [] } : {}),
      };
    });
    const host = [0, 1000, 2000, 3000, 4000, 5000, 6000].map((t) => ({
      tMs: t,
      generatorRssBytes: (t === 3000 ? 12 : 6) * GB,
      swapInBytes: 0,
      swapOutBytes: 0,
    }));
    const ev = (p: string, t: number) => ({ path: p, mtimeMs: t });
    const rows = computeRows(
      [[ev('a.png', 1000)], [ev('b.png', 3000)], [ev('c.png', 4500), ev('d.png', 4500)], [ev('e.png', 6000)]],
      0,
      [
        { deviceId: 'gpu0', samples: gpu },
        { deviceId: 'host', samples: host, host: true },
      ],
      undefined,
      { gapLimitMs: 500, warmupBatches: 1 },
    );
    expect(rows.map((r) => r.memory?.offload)).toEqual([false, true, false, false, false]);
    expect(rows[1].memory!.pcieRxBytes).toBeCloseTo(5e9 + 2e6, -4);
    expect(rows[1].memory).toMatchObject({ pcieMethod: 'counter', hostRssPeakBytes: 12 * GB, swapInBytes: 0, swapOutBytes: 0 });
    // a batch of two shares its bytes like its energy
    expect(rows[2].memory!.pcieRxBytes).toBeCloseTo(1.5e6 / 2, -2);
    expect(rows[2].memory!.pcieTxBytes).toBeCloseTo(750_000 / 2, -2);
    expect(rows[4].heat).toMatchObject({ startC: 44.5, endC: 46, smClockMeanMhz: 1980, throttle: { 'sw-power-cap': 1 }, throttledShare: 1 });
    expect(rows[0].heat!.throttledShare).toBe(0);
  });
});
