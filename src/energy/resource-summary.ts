/** A run's memory and heat figures from its rows (pure, issue 23): over steady images, unknown is null. */
import type { ImageRow } from './image-rows.js';

export interface MemorySummary {
  /** Mean host→GPU / GPU→host bytes per steady image; null where no image has a figure. */
  pcieRxBytesPerImage: number | null;
  pcieTxBytesPerImage: number | null;
  /** Steady images marked `offload`, and their share of the steady images with a PCIe figure. */
  offloadImages: number;
  offloadShare: number | null;
  /** The generator's host memory peak over the whole run. */
  hostRssPeakBytes: number | null;
  /** Swapped in + out per steady image (system-wide). */
  swapBytesPerImage: number | null;
  /** The lowest free VRAM seen in any window. */
  minFreeVramBytes: number | null;
}

export interface HeatSummary {
  /** The GPU's temperature when the first window opened (what a fair comparison starts from). */
  startC: number | null;
  /** Mean of the steady images' start and end temperatures. */
  meanC: number | null;
  maxC: number | null;
  smClockMeanMhz: number | null;
  /** Time-weighted share of the steady images under any clock event reason, and under each. */
  throttledShare: number | null;
  throttle: Record<string, number> | null;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);
const nums = (xs: (number | null | undefined)[]): number[] => xs.filter((x): x is number => typeof x === 'number');

export function memorySummary(rows: readonly ImageRow[], steady: readonly ImageRow[]): MemorySummary | undefined {
  if (!rows.some((r) => r.memory)) return undefined;
  const withPcie = steady.filter((r) => r.memory?.pcieRxBytes != null);
  const rss = nums(rows.map((r) => r.memory?.hostRssPeakBytes));
  const free = nums(rows.map((r) => r.memory?.minFreeVramBytes));
  const swap = steady.filter((r) => r.memory?.swapInBytes != null && r.memory.swapOutBytes != null);
  const offload = steady.filter((r) => r.memory?.offload).length;
  return {
    pcieRxBytesPerImage: mean(nums(steady.map((r) => r.memory?.pcieRxBytes))),
    pcieTxBytesPerImage: mean(nums(steady.map((r) => r.memory?.pcieTxBytes))),
    offloadImages: offload,
    offloadShare: withPcie.length ? offload / withPcie.length : null,
    hostRssPeakBytes: rss.length ? Math.max(...rss) : null,
    swapBytesPerImage: mean(swap.map((r) => r.memory!.swapInBytes! + r.memory!.swapOutBytes!)),
    minFreeVramBytes: free.length ? Math.min(...free) : null,
  };
}

export function heatSummary(rows: readonly ImageRow[], steady: readonly ImageRow[]): HeatSummary | undefined {
  if (!rows.some((r) => r.heat)) return undefined;
  const temps = steady.flatMap((r) => nums([r.heat?.startC, r.heat?.endC]));
  const all = rows.flatMap((r) => nums([r.heat?.startC, r.heat?.endC]));
  const timed = steady.filter((r) => r.heat?.throttledShare != null && r.seconds > 0);
  const span = timed.reduce((a, r) => a + r.seconds, 0);
  let throttle: Record<string, number> | null = null;
  for (const r of timed)
    for (const [k, v] of Object.entries(r.heat!.throttle ?? {})) {
      throttle ??= {};
      throttle[k] = (throttle[k] ?? 0) + (v * r.seconds) / span;
    }
  return {
    startC: rows[0]?.heat?.startC ?? null,
    meanC: mean(temps),
    maxC: all.length ? Math.max(...all) : null,
    smClockMeanMhz: mean(nums(steady.map((r) => r.heat?.smClockMeanMhz))),
    throttledShare: span > 0 ? timed.reduce((a, r) => a + r.heat!.throttledShare! * r.seconds, 0) / span : null,
    throttle: throttle ?? (span > 0 ? {} : null),
  };
}
