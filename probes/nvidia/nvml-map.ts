/**
 * NVML answers → readings (pure). NOT_SUPPORTED (laptop and older GPUs) makes that metric absent for
 * that device, never an error for the probe; other failures are absent too, with a problem to note.
 * The energy counter is only reported once a CounterGuard trusts it.
 */
import type { Reading } from '../types.js';
import {
  FI_DEV_PCIE_COUNT_RX_BYTES,
  FI_DEV_PCIE_COUNT_TX_BYTES,
  FI_DEV_POWER_INSTANT,
  NVML,
  type Answer,
  type FieldAnswer,
  type NvmlMemory,
} from './nvml-binding.js';

/** Raw answers for one device at one poll; a metric not asked this time is undefined. */
export interface NvmlPoll {
  tMs: number;
  energyMj?: Answer<number>;
  fields?: Answer<FieldAnswer[]>;
  averageMw?: Answer<number>;
  memory?: Answer<NvmlMemory>;
  utilization?: Answer<{ gpu: number; memory: number }>;
  temperatureC?: Answer<number>;
  smClockMhz?: Answer<number>;
  clockEventReasons?: Answer<bigint>;
  /** nvmlDeviceGetPcieThroughput, KB/s (asked only where the byte counter fields are missing). */
  pcieRxKBs?: Answer<number>;
  pcieTxKBs?: Answer<number>;
}

export type Metric = keyof Omit<NvmlPoll, 'tMs'>;

/** The metric is simply not there on this device (stop asking, say nothing). */
export function unsupported(ret: number): boolean {
  return ret === NVML.ERROR_NOT_SUPPORTED || ret === NVML.ERROR_FUNCTION_NOT_FOUND || ret === NVML.ERROR_NOT_FOUND;
}

/** Clock event (throttle) reasons, nvml.h bit order. */
const REASONS: [bigint, string][] = [
  [0x1n, 'gpu-idle'],
  [0x2n, 'app-clocks'],
  [0x4n, 'sw-power-cap'],
  [0x8n, 'hw-slowdown'],
  [0x10n, 'sync-boost'],
  [0x20n, 'sw-thermal'],
  [0x40n, 'hw-thermal'],
  [0x80n, 'hw-power-brake'],
  [0x100n, 'display-clocks'],
];

export function reasonNames(mask: bigint): string[] {
  return REASONS.filter(([bit]) => (mask & bit) !== 0n).map(([, n]) => n);
}

export interface Mapped {
  reading: Reading;
  /** Raw counter, joules (before the guard decides whether to report it). */
  counterJoules?: number;
  /** Metrics that answered NOT_SUPPORTED: the probe stops asking for them. */
  unsupported: (Metric | 'pcieFields')[];
  /** Other failures, `metric: NVML message code`. */
  problems: { metric: Metric; ret: number }[];
}

export function mapPoll(deviceId: string, p: NvmlPoll): Mapped {
  const reading: Reading = { deviceId, tMs: p.tMs };
  const out: Mapped = { reading, unsupported: [], problems: [] };
  const ok = <T>(metric: Metric, a: Answer<T> | undefined): T | undefined => {
    if (!a) return undefined;
    if (a.ret === NVML.SUCCESS && a.value !== undefined) return a.value;
    if (unsupported(a.ret)) out.unsupported.push(metric);
    else out.problems.push({ metric, ret: a.ret });
    return undefined;
  };
  const energy = ok('energyMj', p.energyMj);
  if (energy !== undefined && Number.isFinite(energy)) out.counterJoules = energy / 1000;
  const fields = ok('fields', p.fields);
  const instant = fields?.find((f) => f.fieldId === FI_DEV_POWER_INSTANT);
  if (instant) {
    if (instant.ret === NVML.SUCCESS && Number.isFinite(instant.value)) {
      reading.powerWatts = instant.value / 1000;
      reading.powerKind = 'instant';
    } else if (unsupported(instant.ret)) out.unsupported.push('fields');
    else out.problems.push({ metric: 'fields', ret: instant.ret });
  }
  // The PCIe byte counters ride in the same field call; a field this driver lacks is dropped from it.
  for (const [id, key] of [
    [FI_DEV_PCIE_COUNT_RX_BYTES, 'pcieRxBytes'],
    [FI_DEV_PCIE_COUNT_TX_BYTES, 'pcieTxBytes'],
  ] as const) {
    const f = fields?.find((x) => x.fieldId === id);
    if (!f) continue;
    if (f.ret === NVML.SUCCESS && Number.isFinite(f.value) && f.value >= 0) reading[key] = f.value;
    else if (!out.unsupported.includes('pcieFields')) out.unsupported.push('pcieFields');
  }
  const rxKBs = ok('pcieRxKBs', p.pcieRxKBs);
  if (rxKBs !== undefined) reading.pcieRxBytesPerSec = rxKBs * 1024;
  const txKBs = ok('pcieTxKBs', p.pcieTxKBs);
  if (txKBs !== undefined) reading.pcieTxBytesPerSec = txKBs * 1024;
  const avg = ok('averageMw', p.averageMw);
  if (reading.powerWatts === undefined && avg !== undefined) {
    reading.powerWatts = avg / 1000;
    reading.powerKind = 'average';
  }
  const mem = ok('memory', p.memory);
  if (mem) reading.vramUsedBytes = mem.usedBytes;
  if (mem?.freeBytes !== undefined) reading.vramFreeBytes = mem.freeBytes;
  const util = ok('utilization', p.utilization);
  if (util) reading.utilizationPercent = util.gpu;
  const temp = ok('temperatureC', p.temperatureC);
  if (temp !== undefined) reading.temperatureC = temp;
  const clock = ok('smClockMhz', p.smClockMhz);
  if (clock !== undefined) reading.clockMhz = clock;
  const reasons = ok('clockEventReasons', p.clockEventReasons);
  if (reasons !== undefined) reading.throttleReasons = reasonNames(reasons).filter((r) => r !== 'gpu-idle');
  return out;
}

/**
 * Decides whether a device's energy counter can be used: over its first second it must advance
 * like power says (±25 %, as Zeus checks AMD's); a reset (driver reload) or a stall (no advance for
 * 2 s while the GPU draws power) withdraws it until it passes the check again. While withdrawn,
 * readings carry no counter, so the energy of those windows comes from instant power.
 */
export class CounterGuard {
  state: 'checking' | 'trusted' = 'checking';
  private start: { tMs: number; joules: number } | null = null;
  private powerJoules = 0;
  private lastPower: { tMs: number; watts: number } | null = null;
  private last: { tMs: number; joules: number } | null = null;
  private advancedMs = 0;

  constructor(
    readonly checkMs = 1000,
    readonly tolerance = 0.25,
    readonly stallMs = 2000,
  ) {}

  /** Feeds one poll; returns the counter to report (if trusted) and a note when the state changes. */
  feed(tMs: number, joules: number | undefined, powerWatts: number | undefined): { energyJoules?: number; note?: string } {
    let note: string | undefined;
    if (powerWatts !== undefined) {
      if (this.lastPower && this.start) this.powerJoules += ((this.lastPower.watts + powerWatts) / 2) * ((tMs - this.lastPower.tMs) / 1000);
      this.lastPower = { tMs, watts: powerWatts };
    }
    if (joules === undefined) return {};
    const prev = this.last;
    this.last = { tMs, joules };
    if (prev && joules > prev.joules) this.advancedMs = tMs;
    if (this.state === 'trusted') {
      if (prev && joules < prev.joules)
        return this.restart(
          tMs,
          joules,
          `energy counter went backwards (${prev.joules.toFixed(1)} J → ${joules.toFixed(1)} J: driver reload?): using instant power until it checks out again`,
        );
      if ((powerWatts ?? 0) > 5 && tMs - this.advancedMs > this.stallMs)
        return this.restart(
          tMs,
          joules,
          `energy counter stalled for ${((tMs - this.advancedMs) / 1000).toFixed(1)} s while drawing ${powerWatts!.toFixed(0)} W: using instant power until it advances again`,
        );
      return { energyJoules: joules };
    }
    if (!this.start || (prev && joules < prev.joules)) {
      this.start = { tMs, joules };
      this.powerJoules = 0;
      this.advancedMs = tMs;
      this.lastPower = powerWatts !== undefined ? { tMs, watts: powerWatts } : null;
      return {};
    }
    if (tMs - this.start.tMs < this.checkMs) return {};
    const counted = joules - this.start.joules;
    const seconds = (tMs - this.start.tMs) / 1000;
    if (this.lastPower === null || this.powerJoules <= 0) {
      this.state = 'trusted';
      return { energyJoules: joules, note: 'energy counter used without a power check (no power readings to check it against)' };
    }
    const diff = Math.abs(counted - this.powerJoules) / this.powerJoules;
    if (diff <= this.tolerance) {
      this.state = 'trusted';
      note = `energy counter checked: ${counted.toFixed(1)} J vs ${this.powerJoules.toFixed(1)} J from power over ${seconds.toFixed(1)} s`;
      return { energyJoules: joules, note };
    }
    // Not consistent: start a new check window (and say so once per window).
    const msg = `energy counter not consistent with power (${counted.toFixed(1)} J vs ${this.powerJoules.toFixed(1)} J over ${seconds.toFixed(1)} s): using instant power`;
    this.start = { tMs, joules };
    this.powerJoules = 0;
    return { note: msg };
  }

  private restart(tMs: number, joules: number, note: string): { note: string } {
    this.state = 'checking';
    this.start = { tMs, joules };
    this.powerJoules = 0;
    this.advancedMs = tMs;
    return { note };
  }
}
