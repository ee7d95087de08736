/**
 * One read of one NVML device: instant power (with the PCIe byte counters in the same field call)
 * and memory at every tick; the energy counter when due; utilization, temperature, SM clock, clock
 * event reasons, P-state and (without the byte counters) the PCIe throughput on the slow tick.
 */
import type { DeviceInfo } from '../types.js';
import { FI_DEV_POWER_INSTANT, NVML, PCIE_UTIL_RX_BYTES, PCIE_UTIL_TX_BYTES, type DeviceHandle, type NvmlBinding } from './nvml-binding.js';
import { FI_DEV_PCIE_COUNT_RX_BYTES as PCIE_RX, FI_DEV_PCIE_COUNT_TX_BYTES as PCIE_TX } from './nvml-binding.js';
import { CounterGuard, mapPoll, unsupported, type Mapped, type Metric, type NvmlPoll } from './nvml-map.js';
import { pcieCounters, unwrapPcie, type PcieCounters } from './pcie-counter.js';

/** One NVML device as the probe keeps it between reads. */
export interface Dev {
  info: DeviceInfo;
  lastCounterMs: number;
  handle: DeviceHandle;
  guard: CounterGuard;
  /** Metrics this device does not support: not asked again. */
  skip: Set<Metric | 'pstate' | 'pcieFields'>;
  lastSlowMs: number;
  noted: Set<string>;
  pcie: PcieCounters;
  /** A PCIe counter step that may hide whole wraps (said once). */
  pcieUnsure?: boolean;
  /** The last reading had instant power (image edges then need no counter read of their own). */
  instant?: boolean;
  /** The last read asked for the PCIe byte counters. */
  pcieLast?: boolean;
}

const FIELDS_WITH_PCIE = [FI_DEV_POWER_INSTANT, PCIE_RX, PCIE_TX] as const;

/**
 * `counter`: read the energy counter now. `pcieWanted`: read the PCIe byte counters (a run's charged
 * GPUs: ~0.3 ms of CPU a call on an idle H100, ~0.6 ms under load, where instant power alone costs 12 µs).
 */
export function readDevice(n: NvmlBinding, d: Dev, tMs: number, slow = true, counter = true, pcieWanted = true): Mapped {
  const ask = <K extends Metric>(m: K, f: () => NvmlPoll[K]): NvmlPoll[K] | undefined => (d.skip.has(m) ? undefined : f());
  const p: NvmlPoll = { tMs };
  if (counter) p.energyMj = ask('energyMj', () => n.totalEnergyMj(d.handle));
  // Instant power and the PCIe byte counters in one call (each counter alone costs ~0.4 ms).
  const pcie = pcieWanted && !d.skip.has('pcieFields');
  // Read again after a pause: the step over the pause could hide any number of 4 GiB wraps, so the
  // count starts over (a step back, which the window arithmetic leaves out).
  if (pcie && !d.pcieLast) d.pcie = pcieCounters();
  d.pcieLast = pcie;
  p.fields = ask('fields', () => n.fieldValues(d.handle, pcie ? FIELDS_WITH_PCIE : [FI_DEV_POWER_INSTANT]));
  if (pcie && p.fields && p.fields.ret !== NVML.SUCCESS) {
    // A driver that refuses the call as a whole for the newer ids: ask instant power alone from now on.
    d.skip.add('pcieFields');
    p.fields = n.fieldValues(d.handle, [FI_DEV_POWER_INSTANT]);
  }
  // The 1 s average only when there is no instant power to use.
  if (d.skip.has('fields') || (p.fields && p.fields.ret !== NVML.SUCCESS)) p.averageMw = ask('averageMw', () => n.powerUsageMw(d.handle));
  p.memory = ask('memory', () => n.memory(d.handle));
  if (slow) {
    p.utilization = ask('utilization', () => n.utilization(d.handle));
    p.temperatureC = ask('temperatureC', () => n.temperatureC(d.handle));
    p.smClockMhz = ask('smClockMhz', () => n.smClockMhz(d.handle));
    p.clockEventReasons = ask('clockEventReasons', () => n.clockEventReasons(d.handle));
    // No byte counters (drivers before 535): the 20 ms throughput sample, once a second.
    if (pcieWanted && d.skip.has('pcieFields') && n.pcieThroughputKBs) {
      p.pcieRxKBs = ask('pcieRxKBs', () => n.pcieThroughputKBs!(d.handle, PCIE_UTIL_RX_BYTES));
      p.pcieTxKBs = ask('pcieTxKBs', () => n.pcieThroughputKBs!(d.handle, PCIE_UTIL_TX_BYTES));
    }
  }
  const mapped = mapPoll(d.info.id, p);
  if (pcie && p.fields?.value && unwrapPcie(d.pcie, p.fields.value, mapped.reading)) d.pcieUnsure = true;
  if (slow && !d.skip.has('pstate')) {
    const ps = n.performanceState?.(d.handle);
    if (ps?.ret === NVML.SUCCESS && ps.value !== undefined && ps.value >= 0 && ps.value <= 15) mapped.reading.pState = ps.value;
    else if (!ps || unsupported(ps.ret)) d.skip.add('pstate');
  }
  // A field answer of NOT_SUPPORTED inside a successful call: fall back to the average at once.
  if (mapped.reading.powerWatts === undefined && !d.skip.has('averageMw') && p.averageMw === undefined) {
    const avg = n.powerUsageMw(d.handle);
    if (avg.ret === NVML.SUCCESS && avg.value !== undefined) {
      mapped.reading.powerWatts = avg.value / 1000;
      mapped.reading.powerKind = 'average';
    }
  }
  for (const m of mapped.unsupported) d.skip.add(m);
  return mapped;
}
