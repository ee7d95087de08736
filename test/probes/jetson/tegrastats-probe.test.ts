/** The tegrastats probe against a fake tegrastats on PATH that replays the real captures. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TegrastatsProbe } from '../../../probes/jetson/tegrastats-probe.js';
import { FAKE_BIN, sleep, waitFor } from '../../helpers/gen.js';
import { collect } from '../../helpers/sink.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';

const FAKE = join(FAKE_BIN, 'tegrastats');

function withEnv<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const old: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    old[k] = process.env[k];
    process.env[k] = v;
  }
  return f().finally(() => {
    for (const [k, v] of Object.entries(old))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
}

describe('TegrastatsProbe (fake tegrastats replaying real captures)', () => {
  it('AGX Orin: one device, the VDD_GPU_SOC rail named as gpu+soc, shared RAM labelled; readings stream', () =>
    withEnv({ FAKE_TEGRA_FILE: 'tegrastats_agx-orin-64gb_jp6_timestamped_mW.log', FAKE_TEGRA_MODE: 'replay' }, async () => {
      const p = new TegrastatsProbe({ command: FAKE, model: 'Jetson AGX Orin 64GB' });
      const d = await p.detect();
      expect(d).toMatchObject({ status: 'ok', method: 'tegrastats (VDD_GPU_SOC: gpu+soc rail, instant)' });
      expect(d.devices[0]).toMatchObject({
        id: 'jetson-0',
        vendor: 'jetson',
        name: 'Jetson AGX Orin 64GB',
        powerScope: 'gpu+soc rail',
        vramTotalBytes: 62841 * 1024 * 1024,
        memoryScope: 'shared system RAM (unified memory)',
      });
      const c = collect();
      p.start(c.sink, intervalPolicy(50));
      await waitFor(() => c.readings.length >= 5, 5000);
      await p.close();
      expect(c.readings[0]).toMatchObject({
        deviceId: 'jetson-0',
        powerWatts: 2.798,
        powerKind: 'instant',
        utilizationPercent: 39,
        clockMhz: 305,
        temperatureC: 40.093,
        vramUsedBytes: 17953 * 1024 * 1024,
      });
    }));

  it('the old-board log with a date header: detection skips the header; TX2 reads VDD_SYS_GPU', () =>
    withEnv({ FAKE_TEGRA_FILE: 'tegrastats_mixed-boards_tx2-tx1-tx2off-agxxavier_with-date-header.log', FAKE_TEGRA_MODE: 'replay' }, async () => {
      const p = new TegrastatsProbe({ command: FAKE, model: 'x' });
      const d = await p.detect();
      expect(d.method).toBe('tegrastats (VDD_SYS_GPU: gpu rail, instant)');
      await p.close();
    }));

  it('tegrastats dying mid-run: a gap with its last words, then a restart; garbage lines are noted, not read', () =>
    withEnv({ FAKE_TEGRA_FILE: 'tegrastats_nano-4gb_pom-rails_EXCERPT-first-lines.log', FAKE_TEGRA_MODE: 'die-after:4' }, async () => {
      const p = new TegrastatsProbe({ command: FAKE, model: 'Jetson Nano', backoffMs: 100 });
      await p.detect();
      const c = collect();
      p.start(c.sink, intervalPolicy(40));
      await waitFor(() => c.readings.length >= 6, 8000);
      await p.close();
      expect(c.gaps[0].reason).toMatch(/tegrastats ended \(exit code 1: tegrastats: lost the sensor\); restarting/);
      expect(c.readings.every((r) => r.powerKind === 'instant')).toBe(true);
      expect(c.readings[2].powerWatts).toBeCloseTo(0.076, 6); // POM_5V_GPU 76 mW on the third line
    }));

  it('garbage between samples is skipped and noted', () =>
    withEnv({ FAKE_TEGRA_FILE: 'tegrastats_agx-orin-64gb_jp6_timestamped_mW.log', FAKE_TEGRA_MODE: 'garbage-every:2' }, async () => {
      const p = new TegrastatsProbe({ command: FAKE, model: 'x' });
      await p.detect();
      const c = collect();
      p.start(c.sink, intervalPolicy(40));
      await waitFor(() => c.readings.length >= 5, 5000);
      await p.close();
      expect(c.notes.some((n) => /unparseable tegrastats line/.test(n))).toBe(true);
      expect(c.readings.every((r) => r.powerWatts !== undefined && r.powerWatts > 2)).toBe(true);
    }));

  it('not a Jetson: unavailable, saying tegrastats is not there', async () => {
    const d = await new TegrastatsProbe({ command: 'no-such-tegrastats' }).detect();
    expect(d).toMatchObject({ status: 'unavailable', reason: 'no-such-tegrastats not found on PATH' });
    await sleep(1);
  });
});
