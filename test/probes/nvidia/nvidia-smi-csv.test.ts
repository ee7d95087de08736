/** The nvidia-smi CSV parser on real captures (fixtures/nvidia, provenance in fixtures/SOURCES.md). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalField, cellNumber, cellText, deviceKey, parseCsv, parseTimestamp, rowToFacts, rowToReading } from '../../../probes/nvidia/nvidia-smi-csv.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '../../../fixtures/nvidia', f), 'utf8');
const MIB = 1024 * 1024;

describe('nvidia-smi CSV cells', () => {
  it('treats every no-value form as absent, never 0', () => {
    for (const s of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '[Insufficient Permissions]', '', '  ']) {
      expect(cellText(s)).toBeUndefined();
      expect(cellNumber(s)).toBeUndefined();
    }
    expect(cellNumber('0')).toBe(0);
  });

  it('strips units from csv (with units) and reads nounits values alike', () => {
    expect(cellNumber('70.54 W')).toBe(70.54);
    expect(cellNumber('81559 MiB')).toBe(81559);
    expect(cellNumber('0 %')).toBe(0);
    expect(cellNumber('345 MHz')).toBe(345);
    expect(cellNumber('0x0000000000000001')).toBeUndefined();
  });

  it('maps header names to query names', () => {
    expect(canonicalField('power.draw [W]')).toBe('power.draw');
    expect(canonicalField('clocks.current.sm [MHz]')).toBe('clocks.sm');
    expect(canonicalField('temperature.gpu')).toBe('temperature.gpu');
  });

  it('parses the local-time timestamp with milliseconds', () => {
    expect(parseTimestamp('2026/11/25 18:10:50.148')).toBe(new Date(2026, 10, 25, 18, 10, 50, 148).getTime());
    expect(parseTimestamp('garbage')).toBeUndefined();
  });
});

describe('real captures', () => {
  it('H100 (driver 580): header, a row with units and a nounits row give the same reading', () => {
    const { rows } = parseCsv(fx('nvidia-smi-query-gpu_h100-sxm_drv580.159.04_csv-header-and-nounits.csv'));
    expect(rows).toHaveLength(2);
    const [withUnits, bare] = rows.map((r) => rowToReading(r, deviceKey(r)!, 0));
    expect(deviceKey(rows[0])).toBe('00000000:00:06.0');
    expect(withUnits).toMatchObject({ powerWatts: 70.68, powerKind: 'instant', vramUsedBytes: 0, utilizationPercent: 0, temperatureC: 34, clockMhz: 345 });
    expect(bare).toMatchObject({ powerWatts: 70.36, powerKind: 'instant', vramUsedBytes: 0, temperatureC: 34, clockMhz: 345 });
    const facts = rowToFacts(rows[1])!;
    expect(facts).toMatchObject({
      name: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-6e71b43c-f5e1-a735-43ba-7cc4aa25d03b',
      vramTotalBytes: 81559 * MIB,
      powerLimitWatts: 700,
      driverVersion: '580.159.04',
      index: 0,
    });
  });

  it('Tesla P100: [N/A] fan stays absent; power.draw is the only power, marked average; keyed by UUID', () => {
    const { rows, bad } = parseCsv(fx('nvidia-smi-query-gpu_tesla-p100_csv-nounits.csv'));
    expect(bad).toBe(0);
    expect(rows).toHaveLength(1);
    const id = deviceKey(rows[0])!;
    expect(id).toBe('GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6');
    const r = rowToReading(rows[0], id, 0);
    expect(r).toEqual({
      deviceId: id,
      tMs: 0,
      powerWatts: 28.16,
      powerKind: 'average',
      vramUsedBytes: 0,
      utilizationPercent: 0,
      temperatureC: 37,
      clockMhz: 405,
    });
    expect(rowToFacts(rows[0])!.name).toBe('Tesla P100-PCIE-16GB');
  });

  it('Tesla T4 without a power column: no power at all (absent, not 0); domain 00000001 bus id', () => {
    const { rows } = parseCsv(fx('nvidia-smi-query-gpu_tesla-t4_drv510_csv-nounits.csv'));
    const id = deviceKey(rows[0])!;
    expect(id).toBe('00000001:00:00.0');
    const r = rowToReading(rows[0], id, 0);
    expect(r.powerWatts).toBeUndefined();
    expect(r.powerKind).toBeUndefined();
    expect(r.vramUsedBytes).toBe(159 * MIB);
    expect(r.temperatureC).toBe(36);
    expect(rowToFacts(rows[0])).toMatchObject({ vramTotalBytes: 15360 * MIB, driverVersion: '510.108.03' });
    expect(rowToFacts(rows[0])!.powerLimitWatts).toBeUndefined();
  });

  it('H100 -lms 100 stream under load: every line parses; instant differs from the lagging 1 s average', () => {
    const fields = ['timestamp', 'power.draw', 'power.draw.instant', 'memory.used', 'utilization.gpu'];
    const text = fx('nvidia-smi-lms100_h100-sxm_drv580_under-load_nounits.csv');
    const { rows, bad } = parseCsv(text, fields);
    expect(bad).toBe(0);
    expect(rows).toHaveLength(146);
    const readings = rows.map((r) => rowToReading(r, 'gpu', parseTimestamp(r.timestamp)!));
    expect(readings.every((r) => r.powerKind === 'instant')).toBe(true);
    expect(Math.max(...readings.map((r) => r.powerWatts!))).toBeGreaterThan(700);
    const dts = readings.slice(1).map((r, i) => r.tMs - readings[i].tMs);
    expect(Math.max(...dts)).toBeLessThan(250); // the real stream has one 185 ms step
    const avgOnly = rows.map((r) => rowToReading({ ...r, 'power.draw.instant': '[N/A]' }, 'gpu', 0));
    expect(avgOnly.every((r) => r.powerKind === 'average')).toBe(true);
  });

  it('the driver help text documents power.draw as a 1 s average (why it is flagged)', () => {
    expect(fx('nvidia-smi-help-query-gpu_drv580.159.04.txt')).toMatch(
      /"power.draw"\nThe last measured power draw for the entire board, in watts. On Ampere or newer devices, returns average power draw over 1 sec/,
    );
  });
});

describe('the -lms stream of a two-GPU node (real capture: two H200s, one SDXL pipeline each)', () => {
  it('every line parses to its own GPU, instant power and memory under load, nothing dropped', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { parseCsv, rowToReading, deviceKey, parseTimestamp } = await import('../../../probes/nvidia/nvidia-smi-csv.js');
    const { STREAM_FIELDS } = await import('../../../probes/nvidia/nvidia-smi-probe.js');
    const text = readFileSync(join(import.meta.dirname, '../../../fixtures/nvidia/nvidia-smi-lms100_h200x2_drv580_two-generators_nounits.csv'), 'utf8');
    const { rows, bad } = parseCsv(text, STREAM_FIELDS);
    expect(bad).toBe(0);
    expect(rows.length).toBe(text.trim().split('\n').length);
    const readings = rows.map((r) => rowToReading(r, deviceKey(r)!, parseTimestamp(r.timestamp)!));
    const ids = [...new Set(readings.map((r) => r.deviceId))];
    expect(ids).toEqual(['00000000:00:06.0', '00000000:00:07.0']);
    for (const id of ids) {
      const mine = readings.filter((r) => r.deviceId === id);
      expect(mine.length).toBeGreaterThan(40);
      expect(mine.every((r) => r.powerKind === 'instant' && r.powerWatts! > 100 && r.vramUsedBytes! > 10 * 1024 ** 3)).toBe(true);
    }
  });
});
