/**
 * `nvidia-smi dmon` output → readings (pure). dmon prints two header lines starting with `#` (the
 * column names, then their units) and one fixed-width line per GPU per period, keyed by the GPU's
 * index; a value it cannot read is `-`. genwatt streams `dmon -s t` for PCIe throughput (`rxpci`:
 * received by the GPU, host→GPU; `txpci`: sent), in MB/s of 2^20 bytes (the tool divides NVML's KB/s).
 * Headers are re-read whenever printed (dmon repeats them), so any column order works.
 */
import type { Reading } from '../types.js';
import { finiteNumber } from '../sanity.js';

const MIB = 2 ** 20;

export interface DmonState {
  columns: string[] | null;
}

export type DmonLine = { kind: 'header' } | { kind: 'row'; index: number; reading: Omit<Reading, 'deviceId' | 'tMs'> } | { kind: 'bad' } | { kind: 'skip' };

/** Judges one dmon line, updating the column names from a header. */
export function parseDmonLine(line: string, st: DmonState): DmonLine {
  const t = line.trim();
  if (t === '') return { kind: 'skip' };
  if (t.startsWith('#')) {
    const cols = t
      .slice(1)
      .trim()
      .split(/\s+/)
      .map((c) => c.toLowerCase());
    // The names line has `gpu` (after `Date`/`Time` with -o DT); the units line (`Idx  MB/s ...`) has not.
    if (cols.includes('gpu') && cols.length <= 64) st.columns = cols;
    return { kind: 'header' };
  }
  const cols = st.columns;
  if (!cols) return { kind: 'bad' };
  const cells = t.split(/\s+/);
  if (cells.length !== cols.length) return { kind: 'bad' };
  const index = finiteNumber(cells[cols.indexOf('gpu')]);
  if (index === undefined || !Number.isInteger(index) || index < 0) return { kind: 'bad' };
  const cell = (name: string): number | undefined => {
    const i = cols.indexOf(name);
    const v = i < 0 ? undefined : finiteNumber(cells[i]);
    return v !== undefined && v >= 0 ? v : undefined;
  };
  const r: Omit<Reading, 'deviceId' | 'tMs'> = {};
  const rx = cell('rxpci');
  const tx = cell('txpci');
  if (rx !== undefined) r.pcieRxBytesPerSec = rx * MIB;
  if (tx !== undefined) r.pcieTxBytesPerSec = tx * MIB;
  return { kind: 'row', index, reading: r };
}
