/**
 * Per-device time series. Full resolution is kept only as far back as an open energy window needs
 * (the recording holds everything); the live view reads bounded ring buffers.
 */
import type { Gap, Reading } from '../../probes/types.js';
import type { DeviceSeries, SeriesSample } from '../energy/image-rows.js';
import { RingBuffer } from '../series/ring-buffer.js';
import type { SeriesPoint } from '../series/series.js';
import { SCALE_SPAN_MS } from '../energy/window-energy.js';

export interface DeviceState {
  deviceId: string;
  /** Latest value of every metric, each with its own time. */
  latest: Reading | undefined;
  power: RingBuffer<SeriesPoint>;
  vram: RingBuffer<SeriesPoint>;
  maxPowerWatts: number | undefined;
  peakVramBytes: number | undefined;
  samples: SeriesSample[];
  lastGap: Gap | undefined;
  /** When the device's own stream last delivered (a side stream's PCIe rates alone do not say it is read: nvidia-smi dmon). */
  mainMs: number;
}

const SIDE_KEYS = new Set(['deviceId', 'tMs', 'pcieRxBytesPerSec', 'pcieTxBytesPerSec']);

/** A reading with nothing but PCIe rates: nvidia-smi's dmon stream beside the query stream. */
export function sideOnly(r: Reading): boolean {
  // every reading passes here (10 a second per device): most carry no PCIe rate, answered at once
  if (r.pcieRxBytesPerSec === undefined && r.pcieTxBytesPerSec === undefined) return false;
  for (const k in r) if (!SIDE_KEYS.has(k) && r[k as keyof Reading] !== undefined) return false;
  return true;
}

export interface TimelineOptions {
  /** Live points kept per device (default 1200: 2 min at 10 Hz). */
  liveCapacity?: number;
  /** Keep full-resolution samples for energy windows (default true; a display-only timeline does not). */
  keepSamples?: boolean;
}

export class Timeline {
  readonly devices = new Map<string, DeviceState>();
  private retainFromMs = -Infinity;
  private readonly liveCapacity: number;
  private readonly keepSamples: boolean;

  constructor(opts: TimelineOptions = {}) {
    this.liveCapacity = opts.liveCapacity ?? 1200;
    this.keepSamples = opts.keepSamples ?? true;
  }

  private state(id: string): DeviceState {
    let s = this.devices.get(id);
    if (!s) {
      s = {
        deviceId: id,
        latest: undefined,
        mainMs: -Infinity,
        power: new RingBuffer(this.liveCapacity),
        vram: new RingBuffer(this.liveCapacity),
        maxPowerWatts: undefined,
        peakVramBytes: undefined,
        samples: [],
        lastGap: undefined,
      };
      this.devices.set(id, s);
    }
    return s;
  }

  add(r: Reading): void {
    const s = this.state(r.deviceId);
    s.latest = s.latest ? { ...s.latest, ...r } : { ...r };
    if (!sideOnly(r)) s.mainMs = Math.max(s.mainMs, r.tMs);
    if (r.powerWatts !== undefined) {
      s.power.push({ tMs: r.tMs, value: r.powerWatts });
      if (s.maxPowerWatts === undefined || r.powerWatts > s.maxPowerWatts) s.maxPowerWatts = r.powerWatts;
    }
    if (r.vramUsedBytes !== undefined) {
      s.vram.push({ tMs: r.tMs, value: r.vramUsedBytes });
      if (s.peakVramBytes === undefined || r.vramUsedBytes > s.peakVramBytes) s.peakVramBytes = r.vramUsedBytes;
    }
    if (!this.keepSamples || (r.powerWatts === undefined && r.energyJoules === undefined && r.vramUsedBytes === undefined)) return;
    const sample: SeriesSample = { tMs: r.tMs };
    if (r.powerWatts !== undefined) sample.powerWatts = r.powerWatts;
    if (r.powerKind !== undefined) sample.powerKind = r.powerKind;
    if (r.energyJoules !== undefined) sample.energyJoules = r.energyJoules;
    if (r.vramUsedBytes !== undefined) sample.vramUsedBytes = r.vramUsedBytes;
    const arr = s.samples;
    if (arr.length > 0 && arr[arr.length - 1].tMs > r.tMs) {
      // Out-of-order arrival (a delayed pipe): keep the series sorted.
      let i = arr.length - 1;
      while (i > 0 && arr[i - 1].tMs > r.tMs) i--;
      arr.splice(i, 0, sample);
    } else arr.push(sample);
  }

  gap(g: Gap): void {
    const s = this.devices.get(g.deviceId);
    if (!s) return;
    s.lastGap = g;
    s.power.push({ tMs: g.tMs, value: undefined });
    s.vram.push({ tMs: g.tMs, value: undefined });
  }

  /**
   * Drop full-resolution samples older than `tMs` minus a margin: the margin keeps the energy
   * counter's calibration span (SCALE_SPAN_MS) behind the open window.
   */
  retainFrom(tMs: number, marginMs = SCALE_SPAN_MS + 5000): void {
    this.retainFromMs = tMs - marginMs;
    for (const s of this.devices.values()) {
      let i = 0;
      while (i < s.samples.length - 1 && s.samples[i + 1].tMs < this.retainFromMs) i++;
      if (i > 0) s.samples.splice(0, i);
    }
  }

  /** Resets the run's peaks (at run start, after the idle baseline). */
  resetPeaks(): void {
    for (const s of this.devices.values()) {
      s.maxPowerWatts = s.latest?.powerWatts;
      s.peakVramBytes = s.latest?.vramUsedBytes;
    }
  }

  /** Boxcar widths of the devices' average power, once the devices are known. */
  averageWindows: ReadonlyMap<string, number> = new Map();

  series(ids: readonly string[]): DeviceSeries[] {
    return ids.map((id) => ({ deviceId: id, samples: this.devices.get(id)?.samples ?? [], averageWindowMs: this.averageWindows.get(id) }));
  }
}
