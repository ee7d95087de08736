/** The comparison as CSV (raw numbers, units in the header) and as a Markdown table (formatted). */
import type { ComparisonRow } from './compare.js';
import { fmtBytes, fmtNum, fmtPercent, NA } from '../text/format.js';
import { printable } from '../text/text-width.js';

interface Column {
  csv: string;
  md: string;
  raw: (r: ComparisonRow) => string | number | null;
  text?: (r: ComparisonRow) => string;
  /** Only shown when some row has a value (cost, CO₂). */
  optional?: boolean;
}

const n = (v: number | null, d: number) => fmtNum(v, d);

export const COLUMNS: Column[] = [
  { csv: 'session', md: 'session', raw: (r) => r.session },
  { csv: 'devices', md: 'device(s)', raw: (r) => r.devices },
  { csv: 'backend', md: 'backend', raw: (r) => r.backend },
  { csv: 'backend_version', md: 'version', raw: (r) => r.backendVersion },
  { csv: 'model', md: 'model', raw: (r) => r.model },
  { csv: 'attention', md: 'attention', raw: (r) => r.attention },
  { csv: 'precision', md: 'precision', raw: (r) => r.precision },
  { csv: 'steps', md: 'steps', raw: (r) => r.steps },
  { csv: 'size', md: 'size', raw: (r) => r.size },
  { csv: 'images', md: 'images', raw: (r) => r.images, text: (r) => `${r.images} (${r.steadyImages} steady)` },
  {
    csv: 'seconds_per_image_mean',
    md: 's/image',
    raw: (r) => r.secondsPerImage.mean,
    text: (r) => `${n(r.secondsPerImage.mean, 3)} ± ${n(r.secondsPerImage.stdev, 3)}`,
  },
  { csv: 'seconds_per_image_sd', md: '', raw: (r) => r.secondsPerImage.stdev },
  { csv: 'seconds_per_image_p95', md: 's p95', raw: (r) => r.secondsPerImage.p95, text: (r) => n(r.secondsPerImage.p95, 3) },
  {
    csv: 'joules_per_image_mean',
    md: 'J/image',
    raw: (r) => r.joulesPerImage.mean,
    text: (r) => `${n(r.joulesPerImage.mean, 1)} ± ${n(r.joulesPerImage.stdev, 1)}`,
  },
  { csv: 'joules_per_image_sd', md: '', raw: (r) => r.joulesPerImage.stdev },
  { csv: 'net_joules_per_image', md: 'net J/image', raw: (r) => r.netJoulesPerImage, text: (r) => n(r.netJoulesPerImage, 1) },
  { csv: 'wh_per_1000_images', md: 'Wh/1000 img', raw: (r) => r.whPer1000Images, text: (r) => n(r.whPer1000Images, 1) },
  { csv: 'images_per_kwh', md: 'img/kWh', raw: (r) => r.imagesPerKwh, text: (r) => n(r.imagesPerKwh, 0) },
  { csv: 'mean_watts', md: 'mean W', raw: (r) => r.meanWatts, text: (r) => n(r.meanWatts, 1) },
  { csv: 'peak_vram_bytes', md: 'peak VRAM', raw: (r) => r.peakVramBytes, text: (r) => fmtBytes(r.peakVramBytes) },
  { csv: 'idle_watts', md: 'idle W', raw: (r) => r.idleWatts, text: (r) => n(r.idleWatts, 1) },
  { csv: 'seconds_per_step', md: 's/step', raw: (r) => r.secondsPerStep, text: (r) => n(r.secondsPerStep, 3) },
  { csv: 'joules_per_step', md: 'J/step', raw: (r) => r.joulesPerStep, text: (r) => n(r.joulesPerStep, 2) },
  { csv: 'seconds_per_megapixel', md: 's/MP', raw: (r) => r.secondsPerMegapixel, text: (r) => n(r.secondsPerMegapixel, 3) },
  { csv: 'joules_per_megapixel', md: 'J/MP', raw: (r) => r.joulesPerMegapixel, text: (r) => n(r.joulesPerMegapixel, 1) },
  { csv: 'coverage', md: 'coverage', raw: (r) => r.coverage, text: (r) => fmtPercent(r.coverage) },
  { csv: 'energy_method', md: 'method', raw: (r) => r.method },
  {
    csv: 'cost_per_image',
    md: 'cost/image',
    raw: (r) => r.costPerImage,
    text: (r) => (r.costPerImage === null ? NA : r.costPerImage.toPrecision(3)),
    optional: true,
  },
  { csv: 'gco2_per_image', md: 'g CO₂e/image', raw: (r) => r.gco2PerImage, text: (r) => n(r.gco2PerImage, 3), optional: true },
  { csv: 'complete', md: '', raw: (r) => (r.complete ? 'true' : 'false') },
];

const shown = (rows: readonly ComparisonRow[]) => COLUMNS.filter((c) => !c.optional || rows.some((r) => c.raw(r) !== null));

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR:
 * a tag or file name anyone can choose) gets a leading apostrophe; numbers stay numbers.
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = typeof v === 'number' ? String(Number(v.toPrecision(12))) : v;
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV: one row per session, raw numbers (unknown = empty cell, never 0). */
export function comparisonCsv(rows: readonly ComparisonRow[]): string {
  const cols = shown(rows);
  return [cols.map((c) => c.csv).join(','), ...rows.map((r) => cols.map((c) => csvCell(c.raw(r))).join(','))].join('\r\n') + '\r\n';
}

const cellText = (c: Column, r: ComparisonRow): string => {
  if (c.text) return c.text(r);
  const v = c.raw(r);
  return v === null ? NA : String(v);
};

/** The columns a human reads: sd folded into "mean ± sd", columns unknown for every session left out. */
export const readableColumns = (rows: readonly ComparisonRow[]) => shown(rows).filter((c) => c.md !== '' && rows.some((r) => c.raw(r) !== null));

/**
 * Text in a Markdown table cell, shown as itself: pipes split cells, HTML would be rendered (a tag,
 * a file name), brackets would make a live link (a tag `[x](javascript:…)`), backticks code; control
 * characters never reach a terminal that shows the file.
 */
export function markdownCell(s: string): string {
  return printable(s.replace(/[\r\n]+/g, ' '))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`[\]|])/g, '\\$1');
}

/** GitHub-flavoured Markdown table. */
export function comparisonMarkdown(rows: readonly ComparisonRow[]): string {
  const cols = readableColumns(rows);
  const esc = markdownCell;
  const numeric = (c: Column) => rows.some((r) => typeof c.raw(r) === 'number');
  return (
    [
      `| ${cols.map((c) => esc(c.md)).join(' | ')} |`,
      `| ${cols.map((c) => (numeric(c) ? '---:' : '---')).join(' | ')} |`,
      ...rows.map((r) => `| ${cols.map((c) => esc(cellText(c, r))).join(' | ')} |`),
    ].join('\n') + '\n'
  );
}

/** Cells for a text or HTML table. */
export function comparisonCells(rows: readonly ComparisonRow[]): { head: string[]; body: string[][]; numeric: boolean[] } {
  const cols = readableColumns(rows);
  return {
    head: cols.map((c) => c.md),
    body: rows.map((r) => cols.map((c) => cellText(c, r))),
    numeric: cols.map((c) => rows.some((r) => typeof c.raw(r) === 'number')),
  };
}
