/**
 * Configurations, not files (pure): sessions grouped by what ran (device(s), backend, model,
 * attention, precision, steps, size, node, preset), each group's s/image and J/image as the mean
 * across its runs with a 95 % confidence interval (Student t over run means; a single run falls back
 * to its images' spread and says so), ratios to a baseline group, and the Pareto front of time vs
 * energy (a configuration no other beats on both).
 */
import type { ComparisonRow } from './compare.js';

export const GROUP_KEYS = ['device', 'backend', 'model', 'attention', 'precision', 'steps', 'size', 'node', 'preset'] as const;
export type GroupKeyName = (typeof GROUP_KEYS)[number];
export type GroupKey = Record<GroupKeyName, string | null> & Record<string, string | null>;

export interface Interval {
  mean: number | null;
  /** Half-width of the 95 % confidence interval; null with fewer than two values. */
  ci95: number | null;
  /** What the interval is over: the runs' means, or (one run) its images. */
  over: 'runs' | 'images' | null;
}

export interface ConfigGroup {
  label: string;
  key: GroupKey;
  runs: number;
  images: number;
  blankImages: number;
  sessions: string[];
  secondsPerImage: Interval;
  joulesPerImage: Interval & { netMean: number | null };
  whPer1000Images: number | null;
  imagesPerKwh: number | null;
  peakVramBytes: number | null;
  /** 1 − peak VRAM / the GPUs' total: what is left (negative never: a peak is within the total). */
  vramHeadroom: number | null;
  /** Mean over runs of host→GPU / GPU→host bytes per image. */
  pcieRxBytesPerImage: number | null;
  pcieTxBytesPerImage: number | null;
  /** Mean share of offloading images; `offloading` when any of its images offloaded. */
  offloadShare: number | null;
  offloading: boolean;
  hostRssPeakBytes: number | null;
  meanTemperatureC: number | null;
  /** The runs' starting temperatures (lowest, highest). */
  startTemperatureC: { min: number; max: number } | null;
  throttledShare: number | null;
  secondsPerStep: number | null;
  joulesPerStep: number | null;
  joulesPerMegapixel: number | null;
  pareto: boolean;
  /** On the front: `fastest`, `least energy` (both for a configuration that wins both). */
  paretoNames: string[];
  baseline: boolean;
  vsBaseline: { seconds: number | null; joules: number | null } | null;
  rows: ComparisonRow[];
}

/** Two-sided 95 % Student t quantiles by degrees of freedom (1–30), then 40, 60, 120, ∞. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export function t95(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= 30) return T95[Math.floor(df) - 1];
  if (df <= 40) return 2.042 + ((2.021 - 2.042) * (df - 30)) / 10;
  if (df <= 60) return 2.021 + ((2.0 - 2.021) * (df - 40)) / 20;
  if (df <= 120) return 2.0 + ((1.98 - 2.0) * (df - 60)) / 60;
  return 1.96;
}

/** Mean and 95 % CI half-width of values. */
export function interval(values: readonly number[], over: 'runs' | 'images'): Interval {
  if (values.length === 0) return { mean: null, ci95: null, over: null };
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: null, over };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, ci95: (t95(n - 1) * sd) / Math.sqrt(n), over };
}

/** A row's key: its configuration, with `node` and `preset` from its tags. */
export function rowKey(r: ComparisonRow): GroupKey {
  return {
    device: r.devices,
    backend: r.backend,
    model: r.model,
    attention: r.attention,
    precision: r.precision,
    steps: r.steps === null ? null : String(r.steps),
    size: r.size,
    node: r.node,
    preset: r.preset,
    ...r.tags,
  };
}

function labelOf(key: GroupKey, names: readonly string[]): string {
  const parts = names.map((k) => key[k]).filter((v): v is string => v !== null && v !== undefined && v !== '');
  return parts.join(' · ') || 'n/a';
}

const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/**
 * Groups of rows by `by` (default: every key). `perImage` gives a run's steady image values, used for
 * the interval of a configuration that has one run.
 */
export function groupRows(
  rows: readonly ComparisonRow[],
  by: readonly string[] = GROUP_KEYS,
  perImage: (r: ComparisonRow) => { seconds: number[]; joules: number[] } = () => ({ seconds: [], joules: [] }),
  baseline?: string,
): ConfigGroup[] {
  const map = new Map<string, ComparisonRow[]>();
  for (const r of rows) {
    const k = rowKey(r);
    const id = JSON.stringify(by.map((b) => k[b] ?? null));
    map.set(id, [...(map.get(id) ?? []), r]);
  }
  const groups: ConfigGroup[] = [...map.values()].map((rs) => {
    const key = rowKey(rs[0]);
    for (const k of Object.keys(key)) if (!by.includes(k) && rs.some((r) => rowKey(r)[k] !== key[k])) key[k] = null;
    const runs = rs.length;
    const one = runs === 1 ? perImage(rs[0]) : null;
    const sec = one
      ? interval(one.seconds, 'images')
      : interval(
          rs.map((r) => r.secondsPerImage.mean).filter((x): x is number => x !== null),
          'runs',
        );
    const jou = one
      ? interval(one.joules, 'images')
      : interval(
          rs.map((r) => r.joulesPerImage.mean).filter((x): x is number => x !== null),
          'runs',
        );
    const peaks = rs.map((r) => r.peakVramBytes).filter((x): x is number => x !== null);
    const peak = peaks.length ? Math.max(...peaks) : null;
    const total = rs.find((r) => r.vramTotalBytes !== null)?.vramTotalBytes ?? null;
    const starts = rs.map((r) => r.startTemperatureC).filter((x): x is number => x !== null);
    const rss = rs.map((r) => r.hostRssPeakBytes).filter((x): x is number => x !== null);
    const offload = mean(rs.map((r) => r.offloadShare));
    return {
      label: labelOf(key, by),
      key,
      runs,
      images: rs.reduce((a, r) => a + r.images, 0),
      blankImages: rs.reduce((a, r) => a + (r.blankImages ?? 0), 0),
      sessions: rs.map((r) => r.file),
      secondsPerImage: sec,
      joulesPerImage: { ...jou, netMean: mean(rs.map((r) => r.netJoulesPerImage)) },
      whPer1000Images: jou.mean === null ? null : (jou.mean * 1000) / 3600,
      imagesPerKwh: jou.mean ? 3.6e6 / jou.mean : null,
      peakVramBytes: peak,
      vramHeadroom: peak !== null && total ? Math.max(0, 1 - peak / total) : null,
      pcieRxBytesPerImage: mean(rs.map((r) => r.pcieRxBytesPerImage)),
      pcieTxBytesPerImage: mean(rs.map((r) => r.pcieTxBytesPerImage)),
      offloadShare: offload,
      offloading: rs.some((r) => (r.offloadShare ?? 0) > 0),
      hostRssPeakBytes: rss.length ? Math.max(...rss) : null,
      meanTemperatureC: mean(rs.map((r) => r.meanTemperatureC)),
      startTemperatureC: starts.length ? { min: Math.min(...starts), max: Math.max(...starts) } : null,
      throttledShare: mean(rs.map((r) => r.throttledShare)),
      secondsPerStep: mean(rs.map((r) => r.secondsPerStep)),
      joulesPerStep: mean(rs.map((r) => r.joulesPerStep)),
      joulesPerMegapixel: mean(rs.map((r) => r.joulesPerMegapixel)),
      pareto: false,
      paretoNames: [],
      baseline: false,
      vsBaseline: null,
      rows: rs,
    };
  });
  // A label names what differs between the configurations (all of the key when there is one).
  const varying = by.filter((k) => new Set(groups.map((g) => g.key[k] ?? null)).size > 1);
  if (groups.length > 1 && varying.length) for (const g of groups) g.label = labelOf(g.key, varying);
  // Labels must tell groups apart: add the session name where two would read alike.
  const seen = new Map<string, number>();
  for (const g of groups) seen.set(g.label, (seen.get(g.label) ?? 0) + 1);
  for (const g of groups) if ((seen.get(g.label) ?? 0) > 1) g.label = `${g.label} · ${g.rows[0].session}`;
  // Simulated numbers keep their mark wherever the label goes (tables, CSV, the Pareto chart).
  for (const g of groups) if (g.rows.some((r) => r.simulated) && !/simulated/i.test(g.label)) g.label = `${g.label} (simulated)`;
  markPareto(groups);
  // `--baseline demo-0.5s` names a simulated configuration too (its label carries the mark).
  const named = (g: ConfigGroup) => g.label === baseline || g.label === `${baseline} (simulated)`;
  const base = (baseline !== undefined && (groups.find(named) ?? groups[Number(baseline) - 1])) || groups[0];
  if (base) {
    base.baseline = true;
    for (const g of groups) {
      const r = (a: number | null, b: number | null) => (a !== null && b ? a / b : null);
      g.vsBaseline = { seconds: r(g.secondsPerImage.mean, base.secondsPerImage.mean), joules: r(g.joulesPerImage.mean, base.joulesPerImage.mean) };
    }
  }
  return groups;
}

/** The configurations no other beats on both s/image and J/image (lower is better on both). */
export function markPareto(groups: ConfigGroup[]): void {
  const known = groups.filter((g) => g.secondsPerImage.mean !== null && g.joulesPerImage.mean !== null);
  for (const g of known) {
    const s = g.secondsPerImage.mean!;
    const j = g.joulesPerImage.mean!;
    g.pareto = !known.some(
      (o) => o !== g && o.secondsPerImage.mean! <= s && o.joulesPerImage.mean! <= j && (o.secondsPerImage.mean! < s || o.joulesPerImage.mean! < j),
    );
  }
  if (!known.length) return;
  const fastest = known.reduce((a, b) => (b.secondsPerImage.mean! < a.secondsPerImage.mean! ? b : a));
  const leanest = known.reduce((a, b) => (b.joulesPerImage.mean! < a.joulesPerImage.mean! ? b : a));
  fastest.paretoNames.push('fastest');
  leanest.paretoNames.push('least energy');
}

/** `0.62× s, 0.71× J` (or `baseline`). */
export function ratioText(g: ConfigGroup): string {
  if (g.baseline) return 'baseline';
  const f = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(2)}×`);
  return `${f(g.vsBaseline?.seconds ?? null)} s, ${f(g.vsBaseline?.joules ?? null)} J`;
}

/** `1.234 ± 0.056` with the unit's digits; `(images)` when the interval is over one run's images. */
/** `mean ± ci`; an interval over one run's images says so, in words or (a narrow table) by `*`. */
export function intervalText(i: Interval, digits: number, oneRunMark = ' (1 run: images)'): string {
  if (i.mean === null) return 'n/a';
  return `${i.mean.toFixed(digits)}${i.ci95 === null ? '' : ` ± ${i.ci95.toFixed(digits)}`}${i.over === 'images' && i.ci95 !== null ? oneRunMark : ''}`;
}

/** Default margin between configurations' starting temperatures before the report warns, °C. */
export const START_TEMP_MARGIN_C = 5;

/**
 * Pairs of configurations compared at starting temperatures more than `marginC` apart (the hotter
 * one may look worse for no reason of its own): one warning per pair, naming both and their ranges.
 */
export function startTemperatureWarnings(groups: readonly ConfigGroup[], marginC = START_TEMP_MARGIN_C): string[] {
  const out: string[] = [];
  const known = groups.filter((g) => g.startTemperatureC !== null);
  const range = (g: ConfigGroup) => {
    const t = g.startTemperatureC!;
    return t.min === t.max ? `${t.min.toFixed(0)} °C` : `${t.min.toFixed(0)}–${t.max.toFixed(0)} °C`;
  };
  for (let i = 0; i < known.length; i++)
    for (let j = i + 1; j < known.length; j++) {
      const a = known[i].startTemperatureC!;
      const b = known[j].startTemperatureC!;
      const apart = Math.max(a.max - b.min, b.max - a.min);
      if (apart > marginC)
        out.push(
          `${known[i].label} (started at ${range(known[i])}) and ${known[j].label} (${range(known[j])}) were compared at starting temperatures up to ${apart.toFixed(0)} °C apart, more than the ${marginC} °C margin: cool down to one temperature (coolDown.toC) or interleave the runs`,
        );
    }
  return out;
}
