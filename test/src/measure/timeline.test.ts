/** The live timeline: latest values merged per device, and when the device's own stream last delivered. */
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../../src/measure/timeline.js';

describe('Timeline', () => {
  it("PCIe rates alone (nvidia-smi's dmon beside a stalled query stream) do not make a device look read; they still merge into its latest values", () => {
    const t = new Timeline({ keepSamples: false });
    t.add({ deviceId: 'g', tMs: 1000, powerWatts: 80, powerKind: 'instant' });
    t.add({ deviceId: 'g', tMs: 6000, pcieRxBytesPerSec: 5e9, pcieTxBytesPerSec: 1e6 });
    const d = t.devices.get('g')!;
    expect(d.mainMs).toBe(1000);
    expect(d.latest).toMatchObject({ powerWatts: 80, pcieRxBytesPerSec: 5e9, tMs: 6000 });
  });

  it('any other reading does, a sleeping GPU read through sysfs (P-state only) included', () => {
    const t = new Timeline({ keepSamples: false });
    t.add({ deviceId: 'g', tMs: 1000, powerWatts: 80 });
    t.add({ deviceId: 'g', tMs: 2000, pmState: 'suspended' });
    expect(t.devices.get('g')!.mainMs).toBe(2000);
  });
});
