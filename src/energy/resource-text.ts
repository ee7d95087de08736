/**
 * How memory pressure and heat read in every table and line (issue 23): one wording for the live
 * line, the dashboard, the report. PCIe traffic in GB (10^9 bytes, as transfer rates are quoted).
 */
import type { ImageRow } from './image-rows.js';
import { topThrottle, type WindowHeat } from './window-resources.js';
import { fmtBytes, fmtNum, NA } from '../text/format.js';

/** Bytes as GB with one decimal below 100 (`5.3 GB`), n/a for unknown. */
export function fmtGb(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  const gb = v / 1e9;
  return `${gb >= 100 ? gb.toFixed(0) : gb >= 0.095 ? gb.toFixed(1) : gb.toFixed(3)} GB`;
}

/** `offload 5.3 GB` for an image marked offloading (host→GPU moved), else ''. */
export function offloadMark(r: Pick<ImageRow, 'memory'>): string {
  return r.memory?.offload ? `offload ${fmtGb(r.memory.pcieRxBytes)}` : '';
}

/** `throttled 34% (sw-power-cap)` when any reason held the clocks for 1% of the window or more, else ''. */
export function throttleMark(heat: Pick<WindowHeat, 'throttle'> | undefined): string {
  const top = topThrottle(heat);
  return top && top.share >= 0.01 ? `throttled ${Math.round(top.share * 100)}% (${top.reason})` : '';
}

/** `PCIe to GPU 5.3 GB, from GPU 5.3 GB`; '' when the interface gives no PCIe figures. */
export function pcieText(r: Pick<ImageRow, 'memory'>): string {
  const m = r.memory;
  if (!m || (m.pcieRxBytes === null && m.pcieTxBytes === null)) return '';
  return `PCIe to GPU ${fmtGb(m.pcieRxBytes)}, from GPU ${fmtGb(m.pcieTxBytes)}${m.pcieMethod === 'rate' ? ' (from rates)' : ''}`;
}

/** `52→61 °C` (start → end of the window); '' when no temperature was read. */
export function tempText(heat: WindowHeat | undefined): string {
  if (!heat || (heat.startC === null && heat.endC === null)) return '';
  return `${fmtNum(heat.startC, 0)}→${fmtNum(heat.endC, 0)} °C`;
}

/** The memory parts of an image's line: PCIe, host RAM of the generator, swap, lowest free VRAM. */
export function memoryParts(r: Pick<ImageRow, 'memory'>): string[] {
  const m = r.memory;
  if (!m) return [];
  const swap = m.swapInBytes !== null && m.swapOutBytes !== null && m.swapInBytes + m.swapOutBytes > 0 ? `swap ${fmtGb(m.swapInBytes + m.swapOutBytes)}` : '';
  return [
    pcieText(r),
    m.hostRssPeakBytes !== null ? `host RAM ${fmtBytes(m.hostRssPeakBytes)}` : '',
    swap,
    m.minFreeVramBytes !== null ? `free VRAM ≥ ${fmtBytes(m.minFreeVramBytes)}` : '',
  ].filter(Boolean);
}
