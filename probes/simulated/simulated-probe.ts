/**
 * Probe for the simulated GPU. The demo generator (or any child started by `genwatt run` while this
 * probe is active) writes its phase to the file named by `GENWATT_SIM_ACTIVITY`; the probe reads it
 * at each poll. Clearly labelled as simulated everywhere.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detection, DeviceInfo, GpuProcess, Probe, Reading } from '../types.js';
import { parseActivity, simulate, SIM_BASE_VRAM_BYTES, SIM_POWER_LIMIT_WATTS, SIM_VRAM_TOTAL_BYTES, type SimActivity } from './simulated-gpu.js';
import { timelineNow, wallTimeOnTimeline } from '../timeline.js';

export const SIM_DEVICE_ID = 'sim-0';
export const SIM_ACTIVITY_ENV = 'GENWATT_SIM_ACTIVITY';

export class SimulatedProbe implements Probe {
  readonly name = 'simulated' as const;
  /** The file the generator writes its phase to. */
  readonly activityFile: string;
  /** The file is genwatt's own (not named by the environment): removed at close. */
  private readonly ownsActivityFile: boolean;
  private readonly now: () => number;
  private activity: SimActivity;
  /** The generator's own stamp of the current activity (wall clock). */
  private stampedMs: number | undefined;
  private phaseFromWatts = 30;
  private lastWatts = 30;

  /** Every simulated GPU (one unless asked for more, e.g. to load-test the exporter). */
  readonly devices: DeviceInfo[];

  private readonly processLists: boolean;

  constructor(opts: { activityFile?: string; now?: () => number; gpus?: number; processLists?: boolean } = {}) {
    this.processLists = opts.processLists ?? true;
    this.now = opts.now ?? timelineNow;
    // A generator started outside genwatt (next to `genwatt serve`) names the file in the environment of both.
    const given = opts.activityFile ?? process.env[SIM_ACTIVITY_ENV];
    this.activityFile = given ?? join(tmpdir(), `genwatt-sim-${process.pid}-${Date.now()}.activity`);
    this.ownsActivityFile = given === undefined;
    this.activity = { phase: 'idle', sinceMs: this.now(), loaded: false };
    const n = Math.max(1, Math.floor(opts.gpus ?? 1));
    this.devices = [this.device, ...Array.from({ length: n - 1 }, (_, k) => ({ ...this.device, id: `sim-${k + 1}`, index: k + 1 }))];
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
    return { status: 'ok', devices: this.devices, method: 'simulated (instant power)' };
  }

  /** Environment for a child whose activity should drive the simulated GPU. */
  childEnv(): Record<string, string> {
    return { [SIM_ACTIVITY_ENV]: this.activityFile };
  }

  /** The activity file as last read (mtime, size): unchanged, it is not read again. */
  private activityStamp = '';

  private refreshActivity(): void {
    // Every poll (10 Hz) looks: a stat that cannot throw, the file read only when it changed.
    const st = statSync(this.activityFile, { throwIfNoEntry: false });
    if (!st) return; // no generator yet: stays idle
    const stamp = `${st.mtimeMs}:${st.size}`;
    if (stamp === this.activityStamp) return;
    this.activityStamp = stamp;
    let text: string;
    try {
      text = readFileSync(this.activityFile, 'utf8');
    } catch {
      return; // no generator yet: stays idle
    }
    const act = parseActivity(text);
    if (!act) return;
    if (act.phase !== this.activity.phase || act.sinceMs !== this.stampedMs) {
      this.phaseFromWatts = this.lastWatts;
      // The generator stamps its wall clock: placed on the timeline by its age, not after now.
      this.stampedMs = act.sinceMs;
      this.activity = { ...act, sinceMs: wallTimeOnTimeline(act.sinceMs, this.now(), this.activity.sinceMs).tMs };
    }
  }

  private lastPollMs: number | undefined;
  /** Cumulative PCIe bytes per simulated GPU. */
  private readonly pcie: { rx: number; tx: number }[] = [];

  async poll(): Promise<Reading[]> {
    this.refreshActivity();
    const tMs = this.now();
    const s = simulate(this.activity, this.phaseFromWatts, tMs);
    this.lastWatts = s.powerWatts;
    // A generator that names its GPU drives that one and leaves the others idle; otherwise every GPU
    // follows the activity. Each is a watt apart, so each series is told apart.
    const on = this.activity.gpu;
    const idle = on === undefined ? undefined : simulate({ phase: 'idle', sinceMs: 0, loaded: false }, 0, tMs);
    // PCIe byte counters, as NVML's fields 197/198: the rates integrated since the last poll.
    const stepS = this.lastPollMs === undefined ? 0 : Math.max(0, tMs - this.lastPollMs) / 1000;
    this.lastPollMs = tMs;
    return this.devices.map((d, k) => {
      const x = idle && k !== on ? idle : s;
      const c = (this.pcie[k] ??= { rx: 0, tx: 0 });
      c.rx += x.pcieRxBytesPerSec * stepS;
      c.tx += x.pcieTxBytesPerSec * stepS;
      return {
        vramFreeBytes: SIM_VRAM_TOTAL_BYTES - x.vramUsedBytes,
        pcieRxBytes: Math.round(c.rx),
        pcieTxBytes: Math.round(c.tx),
        deviceId: d.id,
        tMs,
        powerWatts: x.powerWatts + k,
        powerKind: 'instant' as const,
        vramUsedBytes: x.vramUsedBytes,
        utilizationPercent: x.utilizationPercent,
        temperatureC: x.temperatureC,
        clockMhz: x.clockMhz,
      };
    });
  }

  /**
   * The simulated process list: the generator (the pid it wrote) holding the model's memory while
   * loaded — labelled simulated like everything this probe reports.
   */
  async processes(): Promise<Map<string, GpuProcess[]> | null> {
    this.refreshActivity();
    const a = this.activity;
    const list: GpuProcess[] =
      a.pid !== undefined && a.phase !== 'idle' ? [{ pid: a.pid, usedBytes: simulate(a, this.lastWatts, this.now()).vramUsedBytes - SIM_BASE_VRAM_BYTES }] : [];
    if (!this.processLists) return null; // --no-sim-process-list: as an interface without process lists
    const on = a.gpu ?? 0;
    return new Map(this.devices.map((d, k) => [d.id, k === on ? list : []]));
  }

  /** The generator exited: weights are gone, back to idle. */
  onChildExit(): void {
    this.phaseFromWatts = this.lastWatts;
    this.activity = { phase: 'idle', sinceMs: this.now(), loaded: false };
  }

  async close(): Promise<void> {
    if (this.ownsActivityFile) rmSync(this.activityFile, { force: true });
  }
}
