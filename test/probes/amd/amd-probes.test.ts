import { existsSync, readFileSync } from 'node:fs';
/** AMD probes: sysfs on the real snapshot trees, amd-smi and rocm-smi through fakes replaying real JSON. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmdSysfsProbe, AmdToolProbe } from '../../../probes/amd/amd-probes.js';
import { claimDevices } from '../../../probes/registry.js';
import type { Detection } from '../../../probes/types.js';
import { FAKE_BIN, tempDir, waitFor } from '../../helpers/gen.js';
import { collect } from '../../helpers/sink.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';

const FIX = join(import.meta.dirname, '../../../fixtures/amd');

describe('AMD probes', () => {
  it('amd-sysfs names the power file it reads', async () => {
    const p = new AmdSysfsProbe(join(FIX, 'sysfs_lact_phoenix-apu'));
    const d = await p.detect();
    expect(d).toMatchObject({ status: 'ok', method: 'amdgpu sysfs (power1_input: instant)' });
    expect(await p.poll()).toMatchObject([{ deviceId: 'card1', powerWatts: 3.142, powerKind: 'instant' }]);
    expect((await new AmdSysfsProbe(join(FIX, 'nope')).detect()).status).toBe('unavailable');
  });

  it('amd-smi: detect, then queries paced by the tool, readings from the real JSON', async () => {
    const p = new AmdToolProbe('amd-smi', join(FAKE_BIN, 'amd-smi'));
    const d = await p.detect();
    expect(d).toMatchObject({ status: 'ok', method: 'amd-smi --json (package power: average, flagged)' });
    // keyed by the bus id from `amd-smi static --json`, named and capped from it too
    expect(d.devices[0]).toMatchObject({
      id: '0000:0b:00.0',
      busId: '0000:0b:00.0',
      vendor: 'amd',
      name: 'Navi 23 [Radeon RX 6600/6600 XT',
      powerLimitWatts: 100,
      vramTotalBytes: 8176 * 1024 * 1024,
    });
    const c = collect();
    p.start(c.sink, intervalPolicy(50));
    await waitFor(() => c.readings.length >= 3, 8000);
    await p.close();
    expect(c.readings[0]).toMatchObject({ deviceId: '0000:0b:00.0', powerWatts: 6, powerKind: 'average', utilizationPercent: 1, temperatureC: 36 });
    expect(c.readings[0].energyJoules).toBeUndefined(); // 0.0 J: this card has no counter
  });

  it('amd-smi failing or printing garbage mid-run: one gap with the reason, not a crash', async () => {
    const p = new AmdToolProbe('amd-smi', join(FAKE_BIN, 'amd-smi'));
    await p.detect();
    process.env.FAKE_AMD_MODE = 'garbage';
    const calls = join(tempDir('gw-amd-'), 'calls');
    process.env.FAKE_AMD_CALLS = calls;
    const metricCalls = () =>
      existsSync(calls)
        ? readFileSync(calls, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('metric')).length
        : 0;
    try {
      const c = collect();
      p.start(c.sink, intervalPolicy(30));
      await waitFor(() => c.gaps.length >= 1, 20_000);
      // three more failed queries after the first: still the one gap
      const after = metricCalls();
      await waitFor(() => metricCalls() >= after + 3, 20_000);
      await p.close();
      expect(c.gaps).toHaveLength(1);
      expect(c.gaps[0].reason).toMatch(/printed something that is not its JSON: Segmentation fault/);
    } finally {
      delete process.env.FAKE_AMD_MODE;
      delete process.env.FAKE_AMD_CALLS;
    }
    process.env.FAKE_AMD_MODE = 'fail';
    try {
      expect(await new AmdToolProbe('amd-smi', join(FAKE_BIN, 'amd-smi')).detect()).toMatchObject({
        status: 'error',
        reason: expect.stringMatching(/exited with code 1: AMDSMI_STATUS_DRIVER_NOT_LOADED/),
      });
    } finally {
      delete process.env.FAKE_AMD_MODE;
    }
  });

  it('amd-smi renumbering its GPUs after one drops off: readings stay with their bus id, the lost GPU is a gap', async () => {
    const dir = tempDir('gw-amd-renum-');
    Object.assign(process.env, { FAKE_AMD_MODE: 'renumber:5', FAKE_AMD_STATE: join(dir, 'state') });
    try {
      const p = new AmdToolProbe('amd-smi', join(FAKE_BIN, 'amd-smi'));
      const d = await p.detect();
      expect(d.devices.map((x) => x.id)).toEqual(['0000:0b:00.0', '0000:0c:00.0']);
      const c = collect();
      p.start(c.sink, intervalPolicy(100));
      const renumbered = () => c.notes.some((n) => /renumbered its GPUs/.test(n));
      await waitFor(() => renumbered() && c.readings.filter((r) => r.deviceId === '0000:0c:00.0').length >= 20, 30_000);
      await p.close();
      const of = (id: string) => c.readings.filter((r) => r.deviceId === id).map((r) => r.powerWatts);
      // GPU 0b (6 W) had readings before it dropped off and never the 50 W of the GPU now numbered 0
      expect(of('0000:0b:00.0').length).toBeGreaterThan(0);
      expect(new Set(of('0000:0b:00.0'))).toEqual(new Set([6]));
      expect(new Set(of('0000:0c:00.0'))).toEqual(new Set([50]));
      expect(c.notes.join('\n')).toMatch(/renumbered its GPUs \(0=0000:0b:00.0 1=0000:0c:00.0 → 0=0000:0c:00.0\)/);
      expect(c.gaps.some((g) => g.deviceId === '0000:0b:00.0' && /no longer lists GPU 0000:0b:00.0/.test(g.reason))).toBe(true);
    } finally {
      delete process.env.FAKE_AMD_MODE;
      delete process.env.FAKE_AMD_STATE;
    }
  });

  it('amd-smi without bus ids (static fails): a changed GPU list stops the readings instead of matching by position', async () => {
    const dir = tempDir('gw-amd-renum-');
    Object.assign(process.env, { FAKE_AMD_MODE: 'renumber:5', FAKE_AMD_STATE: join(dir, 'state'), FAKE_AMD_NO_STATIC: '1' });
    try {
      const p = new AmdToolProbe('amd-smi', join(FAKE_BIN, 'amd-smi'));
      const d = await p.detect();
      expect(d.devices.map((x) => x.id)).toEqual(['amd-0', 'amd-1']);
      const c = collect();
      p.start(c.sink, intervalPolicy(100));
      await waitFor(() => c.gaps.length > 0, 30_000);
      const before = c.readings.length;
      // three more answers come and are refused
      const metricCalls = () => Number(readFileSync(join(dir, 'state'), 'utf8'));
      const calls = metricCalls();
      await waitFor(() => metricCalls() >= calls + 3, 30_000);
      await p.close();
      expect(c.readings.length, c.notes.join('\n')).toBe(before);
      expect(before).toBeGreaterThan(0);
      expect(c.readings.filter((r) => r.deviceId === 'amd-0').every((r) => r.powerWatts === 6)).toBe(true);
      expect(c.gaps[0].reason).toMatch(/GPU list changed \(GPUs 0,1 → 0\) and it gave no PCI bus id to match them by/);
    } finally {
      delete process.env.FAKE_AMD_MODE;
      delete process.env.FAKE_AMD_STATE;
      delete process.env.FAKE_AMD_NO_STATIC;
    }
  });

  it('rocm-smi: keyed by bus id, name and power cap from the real ROCm 6.1.2 JSON', async () => {
    const p = new AmdToolProbe('rocm-smi', join(FAKE_BIN, 'rocm-smi'));
    const d = await p.detect();
    expect(d.devices[0]).toMatchObject({ id: '0000:07:00.0', busId: '0000:07:00.0', name: 'Navi 22 [Radeon RX 6700/6700 XT / 6800M]', powerLimitWatts: 211 });
    await p.close();
  });

  it('the first AMD probe that finds GPUs reads them; the others are not run', () => {
    const dev = (id: string) => ({ id, vendor: 'amd' as const, name: 'x', probe: 'amd-sysfs' as const });
    const claimed = claimDevices(
      ['amd-sysfs', 'amd-smi', 'rocm-smi'],
      [
        { name: 'amd-sysfs', detection: { status: 'ok', devices: [dev('0000:07:00.0')] } as Detection },
        { name: 'amd-smi', detection: { status: 'ok', devices: [dev('amd-0')] } as Detection },
        { name: 'rocm-smi', detection: { status: 'ok', devices: [dev('0000:07:00.0')] } as Detection },
      ],
    );
    expect(claimed.map((c) => c.run)).toEqual([true, false, false]);
    expect(claimed[1].detection.reason).toBe('not needed: amd-sysfs reads these GPUs');
  });
});
