/**
 * One comparison row per session (pure): what ran (devices, backend and version, model, attention,
 * precision, steps, size — from run tags, else from the images' embedded settings) and what it
 * cost (s/image, J/image gross and net, Wh per 1000 images, images per kWh, W, VRAM, idle W,
 * coverage, method; per step and per megapixel; optional cost and CO₂ per image).
 */
import { basename } from 'node:path';
import type { ImageRow } from '../energy/image-rows.js';
import type { LoadedSession } from '../session/reader.js';
import { stats, type Stats } from '../energy/summary.js';
import { isGpu } from '../../probes/types.js';

export interface CompareOptions {
  /** Electricity price per kWh (any currency). */
  priceKwh?: number;
  /** Grid carbon intensity, g CO₂e per kWh. */
  gco2Kwh?: number;
  /** Keys to group sessions by (default: every configuration key); null: one row per session. */
  groupBy?: string[] | null;
  /** The baseline configuration: its label or its 1-based number (default: the first). */
  baseline?: string;
  /** Configurations whose starting temperatures differ by more than this are warned about, °C (default 5). */
  startTempMarginC?: number;
}

export interface ComparisonRow {
  session: string;
  file: string;
  complete: boolean;
  devices: string;
  /** Measured on the demo's simulated GPU: every figure is the demo's model, not hardware. */
  simulated: boolean;
  backend: string | null;
  backendVersion: string | null;
  model: string | null;
  attention: string | null;
  precision: string | null;
  steps: number | null;
  size: string | null;
  images: number;
  steadyImages: number;
  secondsPerImage: Stats;
  joulesPerImage: Stats;
  netJoulesPerImage: number | null;
  whPer1000Images: number | null;
  imagesPerKwh: number | null;
  meanWatts: number | null;
  peakVramBytes: number | null;
  idleWatts: number | null;
  coverage: number | null;
  method: string | null;
  secondsPerStep: number | null;
  joulesPerStep: number | null;
  secondsPerMegapixel: number | null;
  joulesPerMegapixel: number | null;
  /** Price of the gross energy of one steady image (needs --price-kwh). */
  costPerImage: number | null;
  /** Grams CO₂e of one steady image (needs --gco2-kwh). */
  gco2PerImage: number | null;
  /** The node it was recorded on (`serve`'s node name, else the host name). */
  node: string | null;
  /** The launcher preset or plan run it came from. */
  preset: string | null;
  /** Its run tags (any can be a --group-by key). */
  tags: Record<string, string>;
  /** Blank images among its steady ones (left out of its means). */
  blankImages: number;
  /** The GPUs' memory together (the VRAM headroom is 1 − peak / total). */
  vramTotalBytes: number | null;
  /** Mean host→GPU / GPU→host bytes per steady image (null: not measured, or a recording before issue 23). */
  pcieRxBytesPerImage: number | null;
  pcieTxBytesPerImage: number | null;
  /** Share of the steady images marked offloading. */
  offloadShare: number | null;
  hostRssPeakBytes: number | null;
  /** The GPU's temperature when the first window opened, and the steady images' mean. */
  startTemperatureC: number | null;
  meanTemperatureC: number | null;
  /** Time-weighted share of the steady images under any clock event reason. */
  throttledShare: number | null;
  /** When the session started (epoch ms): the order sessions ran in. */
  startedMs: number | null;
}

/** The most common value among the rows, or null when none has it. */
function mode<T>(values: readonly (T | undefined)[]): T | null {
  const n = new Map<T, number>();
  for (const v of values) if (v !== undefined) n.set(v, (n.get(v) ?? 0) + 1);
  let best: T | null = null;
  let bestN = 0;
  for (const [v, c] of n) if (c > bestN) [best, bestN] = [v, c];
  return best;
}

const tag = (tags: Record<string, string>, ...keys: string[]): string | null => {
  for (const k of keys) if (tags[k]) return tags[k];
  return null;
};

const mean = (xs: readonly number[]): number | null => stats(xs).mean;

/** Every charged GPU's memory, summed; null when one does not say. */
function vramTotal(gpus: readonly { vramTotalBytes?: number }[]): number | null {
  if (!gpus.length || gpus.some((g) => !g.vramTotalBytes)) return null;
  return gpus.reduce((a, g) => a + g.vramTotalBytes!, 0);
}

/** Per-step and per-megapixel figures over the steady images that carry steps / a size. */
function perUnit(rows: readonly ImageRow[]) {
  const withSteps = rows.filter((r) => r.meta?.steps && r.meta.steps > 0);
  const withSize = rows.filter((r) => r.meta?.width && r.meta?.height);
  const mp = (r: ImageRow) => (r.meta!.width! * r.meta!.height!) / 1e6;
  return {
    secondsPerStep: mean(withSteps.map((r) => r.seconds / r.meta!.steps!)),
    joulesPerStep: mean(withSteps.filter((r) => r.joules !== null).map((r) => r.joules! / r.meta!.steps!)),
    secondsPerMegapixel: mean(withSize.map((r) => r.seconds / mp(r))),
    joulesPerMegapixel: mean(withSize.filter((r) => r.joules !== null).map((r) => r.joules! / mp(r))),
  };
}

export function comparisonRow(s: LoadedSession, opts: CompareOptions = {}): ComparisonRow {
  const d = s.doc;
  const t = d.run.tags;
  const steady = d.rows.filter((r) => !r.warmup && !r.blank);
  const sum = d.summary;
  const metaRows = steady.length ? steady : d.rows;
  const stepsTag = Number(tag(t, 'steps'));
  const steps = Number.isFinite(stepsTag) && stepsTag > 0 ? stepsTag : mode(metaRows.map((r) => r.meta?.steps));
  const sizeMeta = mode(metaRows.map((r) => (r.meta?.width && r.meta?.height ? `${r.meta.width}x${r.meta.height}` : undefined)));
  const jMean = sum.joulesPerImage.mean;
  const kwhPerImage = jMean === null ? null : jMean / 3.6e6;
  return {
    session: basename(s.file).replace(/\.jsonl?$/, ''),
    file: s.file,
    complete: d.complete,
    simulated: d.devices.some((x) => x.simulated === true),
    devices:
      d.devices
        .filter(isGpu)
        .map((x) => x.name)
        .join(' + ') || 'n/a',
    backend: tag(t, 'backend'),
    backendVersion: tag(t, 'backend-version', 'version'),
    model: tag(t, 'model') ?? mode(metaRows.map((r) => r.meta?.model)),
    attention: tag(t, 'attention'),
    precision: tag(t, 'precision', 'dtype'),
    steps,
    size: tag(t, 'size') ?? sizeMeta,
    images: sum.images,
    steadyImages: sum.steadyImages,
    secondsPerImage: sum.secondsPerImage,
    joulesPerImage: stats(steady.filter((r) => r.joules !== null).map((r) => r.joules!)),
    netJoulesPerImage: sum.joulesPerImage.netMean,
    whPer1000Images: sum.whPer1000Images,
    imagesPerKwh: jMean ? 3.6e6 / jMean : null,
    meanWatts: sum.meanWatts,
    peakVramBytes: sum.peakVramBytes,
    idleWatts: sum.idleWatts,
    coverage: sum.coverage,
    method: sum.method,
    ...perUnit(steady),
    costPerImage: opts.priceKwh !== undefined && kwhPerImage !== null ? kwhPerImage * opts.priceKwh : null,
    gco2PerImage: opts.gco2Kwh !== undefined && kwhPerImage !== null ? kwhPerImage * opts.gco2Kwh : null,
    node: tag(t, 'serve', 'node') ?? d.host?.hostname ?? null,
    preset: tag(t, 'preset', 'plan-run'),
    tags: { ...t },
    blankImages: sum.blankImages ?? 0,
    vramTotalBytes: vramTotal(d.devices.filter((x) => isGpu(x) && (!d.run.gpus || d.run.gpus.includes(x.id)))),
    pcieRxBytesPerImage: sum.memory?.pcieRxBytesPerImage ?? null,
    pcieTxBytesPerImage: sum.memory?.pcieTxBytesPerImage ?? null,
    offloadShare: sum.memory?.offloadShare ?? null,
    hostRssPeakBytes: sum.memory?.hostRssPeakBytes ?? null,
    startTemperatureC: sum.heat?.startC ?? null,
    meanTemperatureC: sum.heat?.meanC ?? null,
    throttledShare: sum.heat?.throttledShare ?? null,
    startedMs: Number.isFinite(Date.parse(d.startedAt)) ? Date.parse(d.startedAt) : null,
  };
}
