/**
 * The nvidia-smi probe against a fake nvidia-smi on PATH (test/fakes/bin) that replays a real H100
 * capture with its timing, then dies, stalls, or prints garbage.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NvidiaSmiProbe } from '../../../probes/nvidia/nvidia-smi-probe.js';
import { parseTimestamp } from '../../../probes/nvidia/nvidia-smi-csv.js';
import type { Gap, Reading } from '../../../probes/types.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';
import { waitFor } from '../../helpers/gen.js';

const FAKE = join(import.meta.dirname, '../../fakes/bin/nvidia-smi');
let probe: NvidiaSmiProbe | undefined;
afterEach(async () => {
  await probe?.close();
  delete process.env.FAKE_NVSMI_MODE;
  delete process.env.FAKE_NVSMI_SPAWNS;
  delete process.env.FAKE_NVSMI_EMITTED;
  probe = undefined;
});

function collect(p: NvidiaSmiProbe, intervalMs = 100) {
  const readings: Reading[] = [];
  const gaps: Gap[] = [];
  const notes: string[] = [];
  // the query stream's readings: dmon's PCIe rates come on readings of their own (nvidia-smi-dmon.test.ts)
  const fromQuery = (r: Reading) => r.pcieRxBytesPerSec === undefined && r.pcieTxBytesPerSec === undefined;
  p.start({ reading: (r) => fromQuery(r) && readings.push(r), gap: (g) => gaps.push(g), note: (_n, m) => notes.push(m) }, intervalPolicy(intervalMs));
  return { readings, gaps, notes };
}
/** Waits for what the probe delivered to satisfy `cond`; a failure says what was seen. */
async function until(what: string, cond: () => boolean, seen: () => unknown, timeoutMs = 20_000): Promise<void> {
  await waitFor(cond, timeoutMs).catch(() => {
    throw new Error(`${what} did not happen within ${timeoutMs} ms; seen: ${JSON.stringify(seen()).slice(0, 2000)}`);
  });
}

describe('nvidia-smi probe', () => {
  it('detects the GPU keyed by PCI bus id, with instant power', async () => {
    probe = new NvidiaSmiProbe({ command: FAKE });
    const det = await probe.detect();
    expect(det.status).toBe('ok');
    expect(det.devices).toEqual([
      expect.objectContaining({
        id: '00000000:00:06.0',
        vendor: 'nvidia',
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-6e71b43c-f5e1-a735-43ba-7cc4aa25d03b',
        vramTotalBytes: 81559 * 1024 * 1024,
        powerLimitWatts: 700,
        driverVersion: '580.159.04',
      }),
    ]); // driver from -q -x
    expect(det.method).toContain('power.draw.instant');
  });

  it('a missing tool is 0 devices with a reason, not a crash', async () => {
    probe = new NvidiaSmiProbe({ command: '/nonexistent/nvidia-smi' });
    const det = await probe.detect();
    expect(det).toMatchObject({ status: 'unavailable', devices: [] });
    expect(det.reason).toMatch(/not found/);
  });

  it('a driver that cannot be reached is an error with the tool’s own words', async () => {
    process.env.FAKE_NVSMI_MODE = 'fail-detect';
    probe = new NvidiaSmiProbe({ command: FAKE });
    const det = await probe.detect();
    expect(det.status).toBe('error');
    expect(det.reason).toMatch(/exit|NVIDIA/);
  });

  it('an old driver without power.draw.instant falls back to power.draw marked average', async () => {
    process.env.FAKE_NVSMI_MODE = 'old-driver';
    probe = new NvidiaSmiProbe({ command: FAKE });
    const det = await probe.detect();
    expect(det.method).toMatch(/average/);
    // the fake's -q -x is the real H100's (Hopper): its power.draw is a 1 s boxcar, so its power is recovered
    expect(det.method).toMatch(/power recovered from it/);
    expect(det.devices[0].powerAverageMs).toBe(1000);
    const { readings } = collect(probe);
    await until(
      '3 readings',
      () => readings.length >= 3,
      () => readings,
    );
    expect(readings.every((r) => r.powerKind === 'average')).toBe(true);
  });

  it('streams every line from ONE long-lived process, each at the time nvidia-smi stamped it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const spawns = join(dir, 'spawns');
    const emitted = join(dir, 'emitted');
    process.env.FAKE_NVSMI_SPAWNS = spawns;
    process.env.FAKE_NVSMI_EMITTED = emitted;
    probe = new NvidiaSmiProbe({ command: FAKE });
    await probe.detect();
    const { readings, gaps } = collect(probe);
    await until(
      '12 readings',
      () => readings.length >= 12,
      () => readings,
    );
    await probe.close();
    probe = undefined;
    expect(readings[0]).toMatchObject({
      deviceId: '00000000:00:06.0',
      powerWatts: 74.37,
      powerKind: 'instant',
      vramUsedBytes: 0,
      temperatureC: 34,
      clockMhz: 345,
    });
    // Every line the tool printed is one reading, in order, at the tool's own timestamp (not when
    // the line happened to be read: chunks merge on a busy machine).
    const lines = readFileSync(emitted, 'utf8').trim().split('\n').slice(0, readings.length);
    expect(readings.map((r) => r.powerWatts)).toEqual(lines.map((l) => Number(l.split(',')[3])));
    const stamps = lines.map((l) => parseTimestamp(l.split(',')[0].trim()));
    const atStamp = readings.filter((r, i) => Math.abs(r.tMs - stamps[i]!) < 5).length;
    expect(atStamp).toBeGreaterThanOrEqual(readings.length - 1);
    const streamSpawns = readFileSync(spawns, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes('-lms'));
    expect(streamSpawns).toHaveLength(1);
    expect(streamSpawns[0]).toMatch(/-lms 100$/);
    expect(gaps).toHaveLength(0);
  });

  it('when nvidia-smi dies, the gap is marked with its last words and it is restarted', async () => {
    process.env.FAKE_NVSMI_MODE = 'die-after:3';
    const spawns = join(mkdtempSync(join(tmpdir(), 'gw-')), 'spawns');
    process.env.FAKE_NVSMI_SPAWNS = spawns;
    probe = new NvidiaSmiProbe({ command: FAKE, backoffMs: 100 });
    await probe.detect();
    const { readings, gaps } = collect(probe);
    // 3 lines, death, restart, more lines
    await until(
      'readings after a restart',
      () => gaps.length >= 1 && readings.length > 3,
      () => ({ gaps, readings: readings.length }),
    );
    expect(gaps[0].reason).toMatch(/nvidia-smi ended \(exit code 15: Unable to determine the device handle/);
    const streams = readFileSync(spawns, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes('-lms'));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(readings.filter((r) => r.tMs > gaps[0].tMs).length).toBeGreaterThanOrEqual(1);
  });

  it('a stalled nvidia-smi is killed, marked and restarted', async () => {
    process.env.FAKE_NVSMI_MODE = 'stall-after:2';
    probe = new NvidiaSmiProbe({ command: FAKE, stallMs: 400, backoffMs: 50 });
    await probe.detect();
    const { readings, gaps } = collect(probe);
    await until(
      'a stall gap, then readings again',
      () => gaps.some((g) => /stalled/.test(g.reason)) && readings.length >= 4,
      () => ({ gaps, readings: readings.length }),
    );
    const stall = gaps.find((g) => /stalled/.test(g.reason))!;
    expect(readings.filter((r) => r.tMs < stall.tMs)).toHaveLength(2); // 2 before the stall, more after the restart
    expect(readings.filter((r) => r.tMs > stall.tMs).length).toBeGreaterThanOrEqual(2);
  });

  it('garbage lines are skipped and noted; good lines keep flowing', async () => {
    process.env.FAKE_NVSMI_MODE = 'garbage';
    probe = new NvidiaSmiProbe({ command: FAKE });
    await probe.detect();
    const { readings, notes } = collect(probe);
    await until(
      '6 readings',
      () => readings.length >= 6,
      () => ({ readings: readings.length, notes }),
    );
    expect(readings.every((r) => r.deviceId === '00000000:00:06.0' && Number.isFinite(r.powerWatts))).toBe(true);
    expect(notes.some((n) => /unparseable nvidia-smi line/.test(n))).toBe(true);
  });
});
