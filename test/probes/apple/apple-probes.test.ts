/** powermetrics and macmon probes against fake tools on PATH replaying the real captures. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MacmonProbe } from '../../../probes/apple/macmon-probe.js';
import { PowermetricsProbe } from '../../../probes/apple/powermetrics-probe.js';
import { FAKE_BIN, waitFor } from '../../helpers/gen.js';
import { collect } from '../../helpers/sink.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';

describe('PowermetricsProbe', () => {
  it('streams GPU power in W (31 mW in the M1 capture), utilization and clock; unified memory labelled', async () => {
    const p = new PowermetricsProbe({ command: join(FAKE_BIN, 'powermetrics'), sudo: false });
    const d = await p.detect();
    expect(d).toMatchObject({ status: 'ok', method: 'powermetrics gpu_power (interval means)' });
    expect(d.devices[0]).toMatchObject({ vendor: 'apple', memoryScope: 'system memory in use (unified memory)', powerScope: 'gpu cluster' });
    const c = collect();
    const t0 = Date.now();
    p.start(c.sink, intervalPolicy(100));
    await waitFor(() => c.readings.length >= 3, 5000);
    await p.close();
    expect(c.readings[0]).toMatchObject({ powerWatts: 0.031, powerKind: 'instant', utilizationPercent: 26.65, clockMhz: 708 });
    // placed half an interval before the block arrived
    expect(c.readings[0].tMs).toBeGreaterThanOrEqual(t0);
  });

  it('not root and sudo -n refused: says so and what to do', async () => {
    const p = new PowermetricsProbe({ command: join(FAKE_BIN, 'powermetrics'), sudo: true, sudoCommand: join(FAKE_BIN, 'sudo-refuses') });
    const d = await p.detect();
    expect(d.status).toBe('error');
    expect(d.reason).toMatch(/powermetrics needs root and sudo -n was refused .*a password is required.*--probe macmon/);
  });

  it('powermetrics dying is a gap and a restart', async () => {
    process.env.FAKE_PM_MODE = 'die-after:2';
    try {
      const p = new PowermetricsProbe({ command: join(FAKE_BIN, 'powermetrics'), sudo: false, backoffMs: 100 });
      await p.detect();
      const c = collect();
      p.start(c.sink, intervalPolicy(60));
      await waitFor(() => c.gaps.length >= 1 && c.readings.length >= 3, 8000);
      await p.close();
      expect(c.gaps[0].reason).toMatch(/ended \(exit code 1: powermetrics: sampler failed\)/);
    } finally {
      delete process.env.FAKE_PM_MODE;
    }
  });
});

describe('MacmonProbe', () => {
  it('streams W, MHz, %, °C and unified memory from macmon pipe', async () => {
    const p = new MacmonProbe({ command: join(FAKE_BIN, 'macmon') });
    const d = await p.detect();
    expect(d).toMatchObject({ status: 'ok', method: 'macmon pipe (GPU power, W)' });
    expect(d.devices[0].vramTotalBytes).toBe(8589934592);
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await waitFor(() => c.readings.length >= 3, 5000);
    await p.close();
    expect(c.readings[0]).toMatchObject({
      powerWatts: 0.025773834,
      powerKind: 'instant',
      clockMhz: 396,
      utilizationPercent: 5.29,
      temperatureC: 44.168976,
      vramUsedBytes: 7016267776,
    });
  });

  it('macmon dying mid-run: a gap with its last words, then a restart', async () => {
    const p = new MacmonProbe({ command: join(FAKE_BIN, 'macmon'), backoffMs: 100 });
    await p.detect();
    process.env.FAKE_MACMON_MODE = 'die-after:3';
    try {
      const c = collect();
      p.start(c.sink, intervalPolicy(40));
      await waitFor(() => c.gaps.length >= 1 && c.readings.length >= 4, 8000);
      await p.close();
      expect(c.gaps[0].reason).toMatch(/ended \(exit code 1: Error: IOReport channel went away\); restarting/);
    } finally {
      delete process.env.FAKE_MACMON_MODE;
    }
  });

  it('no macmon: unavailable with the reason', async () => {
    expect(await new MacmonProbe({ command: 'no-such-macmon' }).detect()).toMatchObject({ status: 'unavailable', reason: 'no-such-macmon not found on PATH' });
  });
});
