import { describe, expect, it } from 'vitest';
import { ServeMetrics } from '../../../src/serve/metrics.js';
import { parseMetrics, value } from '../../helpers/serve.js';

describe('ServeMetrics', () => {
  const dev = { id: 'g0', vendor: 'nvidia' as const, name: 'GPU "A"', probe: 'nvidia-smi' as const, vramTotalBytes: 8e9 };
  it('exports a value only while it is fresh and no gap came after it: unknown is absent, never 0', async () => {
    let now = 10_000;
    const m = new ServeMetrics([dev], { node: 'n', version: 'v', staleMs: 2000, gapLimitMs: 500, now: () => now });
    const get = async () => parseMetrics(await m.registry.metrics());
    expect(value(await get(), 'genwatt_device_power_watts')).toBeUndefined();
    expect(value(await get(), 'genwatt_device_up')).toBe(0);
    m.reading({ deviceId: 'g0', tMs: now, powerWatts: 0, powerKind: 'instant', utilizationPercent: 50 });
    let s = await get();
    expect(value(s, 'genwatt_device_power_watts', { kind: 'instant', name: 'GPU "A"' })).toBe(0); // a real 0 is exported
    expect(value(s, 'genwatt_device_utilization_ratio')).toBe(0.5);
    m.gap({ deviceId: 'g0', tMs: now + 100, reason: 'x' });
    s = await get();
    expect(value(s, 'genwatt_device_power_watts')).toBeUndefined();
    expect(value(s, 'genwatt_device_up')).toBe(0);
    expect(value(s, 'genwatt_sampler_gaps_total', { device: 'g0' })).toBe(1);
    expect(value(s, 'genwatt_device_memory_total_bytes')).toBe(8e9);
    m.reading({ deviceId: 'g0', tMs: now + 200, powerWatts: 50, powerKind: 'average' });
    expect(value(await get(), 'genwatt_device_power_watts', { kind: 'average' })).toBe(50);
    now += 2500; // stale
    expect(value(await get(), 'genwatt_device_power_watts')).toBeUndefined();
  });

  it('image rows: warm-ups counted apart; unknown energy counted as unmeasured, not observed as 0', async () => {
    const m = new ServeMetrics([dev], { node: 'n', version: 'v', staleMs: 2000, gapLimitMs: 500 });
    const row = (warmup: boolean, joules: number | null) => ({
      index: 0,
      path: 'a.png',
      tMs: 0,
      seconds: 2,
      joules,
      netJoules: joules === null ? null : joules - 10,
      watts: null,
      peakVramBytes: null,
      batch: 0,
      batchSize: 1,
      warmup,
      method: null,
      coverage: 1,
      flagged: false,
      windowStartMs: 0,
      windowEndMs: 0,
    });
    m.folder('/out', true);
    m.rows('/out', [row(true, 500), row(false, 100), row(false, null), row(false, 120)]);
    const s = parseMetrics(await m.registry.metrics());
    expect(value(s, 'genwatt_images_total', { phase: 'warmup' })).toBe(1);
    expect(value(s, 'genwatt_images_total', { phase: 'steady' })).toBe(3);
    expect(value(s, 'genwatt_images_unmeasured_total')).toBe(1);
    expect(value(s, 'genwatt_image_energy_joules_count')).toBe(2);
    expect(value(s, 'genwatt_image_energy_joules_sum')).toBe(220);
    expect(value(s, 'genwatt_image_net_energy_joules_sum')).toBe(200);
  });
});
