/**
 * Probe for the simulated GPU. The demo generator (or any child started by `genwatt run` while this
 * probe is active) writes its phase to the file named by `GENWATT_SIM_ACTIVITY`; the probe reads it
 * at each poll. Clearly labelled as simulated everywhere.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detection, DeviceInfo, Probe, Reading } from '../types.js';
import { parseActivity, simulate, SIM_POWER_LIMIT_WATTS, SIM_VRAM_TOTAL_BYTES, type SimActivity } from './simulated-gpu.js';

export const SIM_DEVICE_ID = 'sim-0';
export const SIM_ACTIVITY_ENV = 'GENWATT_SIM_ACTIVITY';

export class SimulatedProbe implements Probe {
  readonly name = 'simulated' as const;
  /** The file the generator writes its phase to. */
  readonly activityFile: string;
  private readonly now: () => number;
  private activity: SimActivity;
  private phaseFromWatts = 30;
  private lastWatts = 30;

  constructor(opts: { activityFile?: string; now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
    this.activityFile = opts.activityFile ?? join(tmpdir(), `genwatt-sim-${process.pid}-${Date.now()}.activity`);
    this.activity = { phase: 'idle', sinceMs: this.now(), loaded: false };
  }

  readonly device: DeviceInfo = {
    id: SIM_DEVICE_ID,
    vendor: 'simulated',
    name: 'Simulated GPU (genwatt demo, not real hardware)',
    probe: 'simulated',
    index: 0,
    vramTotalBytes: SIM_VRAM_TOTAL_BYTES,
    powerLimitWatts: SIM_POWER_LIMIT_WATTS,
    powerScope: 'simulated',
    simulated: true,
  };

  async detect(): Promise<Detection> {
    return { status: 'ok', devices: [this.device], method: 'simulated (instant power)' };
  }

  /** Environment for a child whose activity should drive the simulated GPU. */
  childEnv(): Record<string, string> {
    return { [SIM_ACTIVITY_ENV]: this.activityFile };
  }

  private refreshActivity(): void {
    let text: string;
    try {
      text = readFileSync(this.activityFile, 'utf8');
    } catch {
      return; // no generator yet: stays idle
    }
    const act = parseActivity(text);
    if (!act) return;
    if (act.phase !== this.activity.phase || act.sinceMs !== this.activity.sinceMs) {
      this.phaseFromWatts = this.lastWatts;
      this.activity = act;
    }
  }

  async poll(): Promise<Reading[]> {
    this.refreshActivity();
    const tMs = this.now();
    const s = simulate(this.activity, this.phaseFromWatts, tMs);
    this.lastWatts = s.powerWatts;
    return [{ deviceId: SIM_DEVICE_ID, tMs, powerWatts: s.powerWatts, powerKind: 'instant', vramUsedBytes: s.vramUsedBytes, utilizationPercent: s.utilizationPercent, temperatureC: s.temperatureC, clockMhz: s.clockMhz }];
  }

  /** The generator exited: weights are gone, back to idle. */
  onChildExit(): void {
    this.phaseFromWatts = this.lastWatts;
    this.activity = { phase: 'idle', sinceMs: this.now(), loaded: false };
  }

  async close(): Promise<void> {}
}
