/** Apple parsers on real captures (fixtures/apple, provenance in fixtures/SOURCES.md). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPowermetricsHeader, parseMacmonLine, parsePowermetricsBlock, parsePowermetricsDate } from '../../../probes/apple/apple-parse.js';

const DIR = join(import.meta.dirname, '../../../fixtures/apple');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

describe('powermetrics text', () => {
  it('M1 MacBook Pro, macOS 14.6: GPU 31 mW, CPU 628 mW, 708 MHz at 26.65 % active, the block clock', () => {
    const s = parsePowermetricsBlock(read('powermetrics-text_m1-macbookpro17,1_macos14.6-23G93_default-samplers.txt'))!;
    expect(s).toEqual({
      tMs: Date.UTC(2025, 0, 24, 20, 57, 44),
      elapsedMs: 5010.29,
      gpuPowerWatts: 0.031,
      cpuPowerWatts: 0.628,
      gpuActiveMhz: 708,
      gpuActivePercent: 26.65,
    });
  });

  it('M4 Max, macOS 15.5 (double space in the date, 15 GPU states): GPU 28 mW, 338 MHz, 1.63 %', () => {
    const s = parsePowermetricsBlock(read('powermetrics-text_m4max-mac16,6_macos15.5-24F74_default-samplers.txt'))!;
    expect(s).toEqual({
      tMs: Date.UTC(2025, 10, 8, 6, 54, 21),
      elapsedMs: 5021.96,
      gpuPowerWatts: 0.028,
      cpuPowerWatts: 0.954,
      gpuActiveMhz: 338,
      gpuActivePercent: 1.63,
    });
  });

  it('a block without a GPU section gives no GPU power (absent, not 0); non-blocks give null', () => {
    const text = read('powermetrics-text_m1-macbookpro17,1_macos14.6-23G93_default-samplers.txt');
    const noGpu = text
      .split('\n')
      .filter((l) => !/GPU/.test(l))
      .join('\n');
    const s = parsePowermetricsBlock(noGpu)!;
    expect(s.gpuPowerWatts).toBeUndefined();
    expect(s.gpuActivePercent).toBeUndefined();
    expect(s.cpuPowerWatts).toBe(0.628);
    expect(parsePowermetricsBlock('Machine model: MacBookPro17,1\n')).toBeNull();
  });

  it('headers and dates', () => {
    expect(isPowermetricsHeader('*** Sampled system activity (Fri Jan 24 21:57:44 2025 +0100) (5010.29ms elapsed) ***')).toBe(true);
    expect(isPowermetricsHeader('**** GPU usage ****')).toBe(false);
    expect(parsePowermetricsDate('Sat Nov  8 15:54:21 2025 +0900')).toBe(Date.UTC(2025, 10, 8, 6, 54, 21));
    expect(parsePowermetricsDate('yesterday')).toBeUndefined();
  });
});

describe('macmon pipe', () => {
  it('every line of the real capture: W, MHz and fraction, unified memory in bytes', () => {
    const lines = read('macmon-pipe_8gb-m-series_no-timestamp.jsonl').trim().split('\n').map(parseMacmonLine);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toEqual({
      gpuPowerWatts: 0.025773834,
      gpuMhz: 396,
      gpuActivePercent: 5.29,
      gpuTemperatureC: 44.168976,
      ramUsedBytes: 7016267776,
      ramTotalBytes: 8589934592,
    });
    expect(lines.every((l) => l !== null && l.gpuPowerWatts !== undefined)).toBe(true);
  });

  it('garbage, arrays and missing fields: null or absent, never 0', () => {
    expect(parseMacmonLine('not json')).toBeNull();
    expect(parseMacmonLine('[1,2]')).toBeNull();
    expect(parseMacmonLine('{"gpu_power": "N/A", "gpu_usage": [null, 0.5]}')).toEqual({ gpuActivePercent: 50 });
  });
});
