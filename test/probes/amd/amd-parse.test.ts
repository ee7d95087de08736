/** AMD parsers on real captures (fixtures/amd, provenance in fixtures/SOURCES.md). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAmdSmiMetric, parseAmdSmiStatic, parseRocmSmi } from '../../../probes/amd/amd-parse.js';

const DIR = join(import.meta.dirname, '../../../fixtures/amd');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
const MB = 1024 * 1024;

describe('amd-smi metric --json', () => {
  it('RX 6600 XT (top-level array): 6 W socket power, 202 MB used of 8176, 1 % gfx, 36 °C edge, 800 MHz; energy 0.0 J is no counter', () => {
    const [g] = parseAmdSmiMetric(read('amd-smi_metric_rx6600xt_pve-kernel.json'));
    expect(g).toEqual({
      id: 'amd-0',
      index: 0,
      reading: { powerWatts: 6, powerKind: 'average', vramUsedBytes: 202 * MB, utilizationPercent: 1, temperatureC: 36, clockMhz: 800 },
      vramTotalBytes: 8176 * MB,
    });
  });

  it('the {gpu_data: [...]} wrapper of other amd-smi builds reads the same', () => {
    const inner = JSON.parse(read('amd-smi_metric_rx6600xt_pve-kernel.json'));
    expect(parseAmdSmiMetric(JSON.stringify({ gpu_data: inner }))).toEqual(parseAmdSmiMetric(read('amd-smi_metric_rx6600xt_pve-kernel.json')));
  });

  it('"N/A" leaves are absent, not 0', () => {
    const inner = JSON.parse(read('amd-smi_metric_rx6600xt_pve-kernel.json'));
    inner[0].power.socket_power = 'N/A';
    inner[0].temperature.edge = { value: 'N/A', unit: 'C' };
    inner[0].temperature.hotspot = 'N/A';
    const [g] = parseAmdSmiMetric(JSON.stringify(inner));
    expect(g.reading.powerWatts).toBeUndefined();
    expect(g.reading.temperatureC).toBeUndefined();
  });
});

describe('amd-smi static --json', () => {
  it('RX 6600 XT: bus 0000:0b:00.0, the market name as amd-smi truncates it, 100 W cap, driver', () => {
    expect(parseAmdSmiStatic(read('amd-smi_static_rx6600xt_pve-kernel.json'))).toEqual([
      { index: 0, busId: '0000:0b:00.0', name: 'Navi 23 [Radeon RX 6600/6600 XT', powerLimitWatts: 100, driverVersion: '7.0.0-3-pve' },
    ]);
  });
});

describe('rocm-smi --json', () => {
  it('ROCm 6.1.2, RX 6700 XT (leading blank line): 6.0 W average, 1572745216 B used, 0 %, 45 °C, bus id key', () => {
    const [g] = parseRocmSmi(read('rocm-smi_rx6700xt_rocm6.1.2_all.json'));
    expect(g).toEqual({
      id: '0000:07:00.0',
      index: 0,
      busId: '0000:07:00.0',
      name: 'Navi 22 [Radeon RX 6700/6700 XT / 6800M]',
      reading: { powerWatts: 6, powerKind: 'average', vramUsedBytes: 1572745216, utilizationPercent: 0, temperatureC: 45, clockMhz: 0 },
      vramTotalBytes: 12868124672,
      powerLimitWatts: 211,
    });
  });

  it('ROCm 4.3.0 key names (GPU ID, Card series = a vendor id, not a name)', () => {
    const [g] = parseRocmSmi(read('rocm-smi_rx6700xt_rocm4.3.0_all.json'));
    expect(g.name).toBeUndefined();
    expect(g.reading).toEqual({ powerWatts: 6, powerKind: 'average', vramUsedBytes: 1622728704, utilizationPercent: 0, temperatureC: 45, clockMhz: 500 });
  });

  it('Vega 10 XT (no trailing newline): 15 W, 1269 MHz, 170 W max', () => {
    const [g] = parseRocmSmi(read('rocm-smi_vega10-xt_driver5.9.25_all.json'));
    expect(g.reading).toMatchObject({ powerWatts: 15, clockMhz: 1269, temperatureC: 39, vramUsedBytes: 17776640 });
    expect(g.powerLimitWatts).toBe(170);
    expect(g.id).toBe('0000:04:00.0');
  });

  it('not JSON: throws (the probe reports it)', () => {
    expect(() => parseRocmSmi('ERROR: GPU[0] : Unable to read')).toThrow();
  });
});
