/**
 * The host: static facts (hostname, OS, CPU model, RAM) once, CPU load and RAM in use while running,
 * through systeminformation. Never used for GPU data (its graphics() blocks and drops zeros).
 */
import type { Detection, DeviceInfo, Probe, Reading } from '../types.js';
import { timelineNow } from '../timeline.js';

import { HOST_DEVICE_ID } from './host-id.js';

export { HOST_DEVICE_ID };
type SI = typeof import('systeminformation');

export class HostProbe implements Probe {
  readonly name = 'host' as const;
  private si: SI | undefined;
  private lastPollMs = 0;
  private readonly minPeriodMs: number;

  constructor(opts: { minPeriodMs?: number } = {}) {
    // CPU load is a difference between calls: once a second is plenty and keeps the cost low.
    this.minPeriodMs = opts.minPeriodMs ?? 1000;
  }

  async detect(): Promise<Detection> {
    try {
      const mod = await import('systeminformation');
      // systeminformation is CommonJS: its functions sit on `default` when imported from ESM (its types do not say so).
      this.si = ((mod as unknown as { default?: SI }).default ?? mod) as SI;
      const [osInfo, cpu, mem] = await Promise.all([this.si.osInfo(), this.si.cpu(), this.si.mem()]);
      const device: DeviceInfo = {
        id: HOST_DEVICE_ID,
        vendor: 'host',
        name: `${cpu.manufacturer} ${cpu.brand}`.trim() + ` · ${osInfo.distro || osInfo.platform} ${osInfo.release}`.trimEnd(),
        probe: 'host',
        host: true,
        powerScope: 'host',
      };
      if (mem.total > 0) device.vramTotalBytes = mem.total;
      await this.si.currentLoad(); // prime the load difference
      return { status: 'ok', devices: [device], method: 'systeminformation (CPU load, RAM)' };
    } catch (err) {
      return { status: 'error', devices: [], reason: `systeminformation failed: ${(err as Error).message}` };
    }
  }

  async poll(): Promise<Reading[]> {
    const si = this.si;
    const now = timelineNow();
    if (!si || now - this.lastPollMs < this.minPeriodMs) return [];
    this.lastPollMs = now;
    const [load, mem] = await Promise.all([si.currentLoad(), si.mem()]);
    const r: Reading = { deviceId: HOST_DEVICE_ID, tMs: now };
    if (Number.isFinite(load.currentLoad)) r.cpuPercent = Math.round(load.currentLoad * 10) / 10;
    if (mem.active > 0) r.ramUsedBytes = mem.active;
    return [r];
  }

  async close(): Promise<void> {}
}
