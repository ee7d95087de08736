import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../../probes/simulated/simulated-gpu.js';
import { SimulatedProbe } from '../../../probes/simulated/simulated-probe.js';
import { tempDir } from '../../helpers/gen.js';

describe('simulated GPU', () => {
  it('is deterministic and clearly labelled', async () => {
    const act = { phase: 'compute' as const, sinceMs: 1000, loaded: true };
    expect(simulate(act, 30, 5000)).toEqual(simulate(act, 30, 5000));
    const p = new SimulatedProbe();
    const det = await p.detect();
    expect(det.devices[0]).toMatchObject({ vendor: 'simulated', simulated: true });
    expect(det.devices[0].name).toMatch(/Simulated.*not real hardware/);
  });

  it('follows the generator: idle ~30 W, load raises VRAM, compute ~180 W', async () => {
    let now = 1_000_000;
    const file = join(tempDir(), 'act');
    const p = new SimulatedProbe({ activityFile: file, now: () => now });
    const idle = (await p.poll())[0];
    expect(idle.powerWatts).toBeGreaterThan(27);
    expect(idle.powerWatts).toBeLessThan(33);
    writeFileSync(file, `load ${now}\n`);
    now += 1000;
    const loaded = (await p.poll())[0];
    expect(loaded.vramUsedBytes!).toBeGreaterThan(idle.vramUsedBytes! + 6 * 1024 ** 3);
    writeFileSync(file, `compute ${now} loaded\n`);
    now += 1500;
    const busy = (await p.poll())[0];
    expect(busy.powerWatts).toBeGreaterThan(170);
    expect(busy.powerWatts).toBeLessThan(190);
    expect(busy.utilizationPercent).toBeGreaterThan(90);
  });
});
