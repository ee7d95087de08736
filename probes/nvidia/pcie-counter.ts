/**
 * NVML's PCIe byte counters (fields 197/198) as one ever-growing count. The driver answers them as a
 * 32-bit unsigned int (valueType 1 on an H100, driver 580.159.04: fixtures/nvidia/nvml-pcie-*.csv),
 * so they wrap every 4 GiB — about once a second while weights move at 5 GB/s. Each read that went
 * back is one wrap: exact while less than 4 GiB passes between two reads (42 GB/s at the 100 ms
 * interval). Reads further apart than `unsureAfterMs` may hide whole wraps: that step is counted as
 * the least it can be, and said once.
 */
import type { Reading } from '../types.js';
import { FI_DEV_PCIE_COUNT_RX_BYTES, FI_DEV_PCIE_COUNT_TX_BYTES, type FieldAnswer } from './nvml-binding.js';

/** Value width, bits, for an NVML field valueType (nvml.h nvmlValueType_t); undefined: 64 bits. */
export function fieldBits(valueType: number | undefined): number {
  if (valueType === 1 || valueType === 5) return 32; // unsigned int, signed int
  if (valueType === 6) return 16; // unsigned short
  return 64;
}

export class WrappingCounter {
  private lastRaw: number | undefined;
  private lastMs = 0;
  private wrapsBytes = 0;

  /** @param unsureAfterMs reads further apart than this may hide a whole wrap (default 1000 ms). */
  constructor(readonly unsureAfterMs = 1000) {}

  /**
   * The count so far for a raw read at `tMs`; `unsure` when the step since the last read may hide
   * whole wraps (counted as the least it can be). A 64-bit value is passed through: a step back
   * there is a reset, which the window arithmetic leaves out.
   */
  feed(raw: number, bits: number, tMs: number): { bytes: number; unsure: boolean } {
    let unsure = false;
    if (bits < 53) {
      if (this.lastRaw !== undefined) {
        if (raw < this.lastRaw) this.wrapsBytes += 2 ** bits;
        unsure = tMs - this.lastMs > this.unsureAfterMs;
      }
      this.lastRaw = raw;
      this.lastMs = tMs;
      return { bytes: this.wrapsBytes + raw, unsure };
    }
    return { bytes: raw, unsure };
  }
}

/** One device's two counters: host→GPU (received by the GPU, field 198) and GPU→host (197). */
export interface PcieCounters {
  rx: WrappingCounter;
  tx: WrappingCounter;
}

export function pcieCounters(): PcieCounters {
  return { rx: new WrappingCounter(), tx: new WrappingCounter() };
}

/**
 * Replaces the raw counters in a reading by their counts (the widths from the same call's answers).
 * True when a step may hide whole wraps.
 */
export function unwrapPcie(c: PcieCounters, fields: readonly FieldAnswer[] | undefined, r: Reading): boolean {
  let unsure = false;
  for (const [key, id, counter] of [
    ['pcieRxBytes', FI_DEV_PCIE_COUNT_RX_BYTES, c.rx],
    ['pcieTxBytes', FI_DEV_PCIE_COUNT_TX_BYTES, c.tx],
  ] as const) {
    const raw = r[key];
    if (raw === undefined) continue;
    const u = counter.feed(raw, fieldBits(fields?.find((f) => f.fieldId === id)?.valueType), r.tMs);
    r[key] = u.bytes;
    unsure ||= u.unsure;
  }
  return unsure;
}
