/** `genwatt report`: sessions as a text table or the report JSON that scripts rely on. */
import { basename } from 'node:path';
import type { ImageRow } from '../energy/image-rows.js';
import type { LoadedSession } from '../session/reader.js';
import type { Summary } from '../energy/summary.js';
import { fmtBytes, fmtJoules, fmtNum, fmtPercent, fmtSeconds, fmtWatts, NA } from '../text/format.js';
import { clipLine, clipPath, fitTable, leftOutNote, wrapWords, type FitColumn } from '../text/fit-table.js';
import { comparisonRow, type CompareOptions, type ComparisonRow } from './compare.js';
import { comparisonCells } from './formats.js';
import { groupsJson, groupsText } from './group-output.js';
import { GROUP_KEYS, groupRows, startTemperatureWarnings, type ConfigGroup } from './groups.js';
import { isGpu } from '../../probes/types.js';
import { fmtGb, offloadMark, tempText, throttleMark } from '../energy/resource-text.js';

/** One image in the report JSON: the row's fields that scripts rely on, plus a few diagnostics. */
export type ReportImage = Pick<
  ImageRow,
  | 'index'
  | 'path'
  | 'tMs'
  | 'seconds'
  | 'joules'
  | 'netJoules'
  | 'batch'
  | 'warmup'
  | 'watts'
  | 'peakVramBytes'
  | 'method'
  | 'coverage'
  | 'meta'
  | 'meters'
  | 'memory'
  | 'heat'
> & { entropyBits: number | null; blank: boolean };

export interface ReportSession {
  file: string;
  complete: boolean;
  summary: Summary;
  images: ReportImage[];
  warnings: string[];
}

export function reportImage(r: ImageRow): ReportImage {
  const out: ReportImage = {
    index: r.index,
    path: r.path,
    tMs: r.tMs,
    seconds: r.seconds,
    joules: r.joules,
    netJoules: r.netJoules,
    batch: r.batch,
    warmup: r.warmup,
    watts: r.watts,
    peakVramBytes: r.peakVramBytes,
    method: r.method,
    coverage: r.coverage,
    entropyBits: r.entropyBits ?? null,
    blank: Boolean(r.blank),
  };
  if (r.meta) out.meta = r.meta;
  if (r.meters) out.meters = r.meters;
  if (r.memory) out.memory = r.memory;
  if (r.heat) out.heat = r.heat;
  return out;
}

export function reportJson(sessions: readonly LoadedSession[], opts: CompareOptions = {}) {
  const comparison = sessions.map((s) => comparisonRow(s, opts));
  return {
    sessions: sessions.map((s): ReportSession => ({
      file: s.file,
      complete: s.doc.complete,
      summary: s.doc.summary,
      images: s.doc.rows.map(reportImage),
      warnings: s.warnings,
    })),
    comparison,
    groups: opts.groupBy === null ? [] : groupsJson(groupSessions(sessions, comparison, opts)),
    /** Configurations compared at starting temperatures further apart than the margin. */
    temperatureWarnings: opts.groupBy === null ? [] : startTemperatureWarnings(groupSessions(sessions, comparison, opts), opts.startTempMarginC),
    blankImages: sessions.reduce((a, s) => a + s.doc.rows.filter((r) => r.blank).length, 0),
  };
}

/** How the energy figures were obtained, in words. */
export function methodText(summary: Summary): string {
  if (!summary.method) return 'no energy figures';
  const m =
    summary.method === 'counter'
      ? 'energy counter'
      : summary.method === 'scaled'
        ? 'instant power scaled to the energy counter'
        : summary.method === 'instant'
          ? 'instant power'
          : summary.method === 'average'
            ? 'AVERAGE power (biased low: flagged)'
            : 'mixed methods';
  return `${m}, coverage ${fmtPercent(summary.coverage)}${summary.flagged && summary.method !== 'average' ? ' (some figures integrate average power: flagged)' : ''}`;
}

/** How a text report is laid out for its reader. */
export interface TextLayout {
  /** Per-image tables (on request: the summaries come first and are what most readers want). */
  images?: boolean;
  /** The terminal's width: tables leave out their least important columns to fit; none when piped. */
  widthCols?: number;
}

export function imagesTable(rows: readonly ImageRow[], widthCols?: number): string {
  const withMeta = rows.some((r) => r.meta?.steps !== undefined || r.meta?.sampler !== undefined);
  const withPcie = rows.some((r) => r.memory?.pcieRxBytes != null);
  const withHeat = rows.some((r) => r.heat?.startC != null || r.heat?.endC != null);
  const cols: FitColumn[] = [
    { head: '#', right: true, keep: Infinity },
    { head: 'file', keep: Infinity, minWidth: 12 },
    { head: 's', right: true, keep: 100 },
    { head: 'J', right: true, keep: 100 },
    { head: 'net J', right: true, keep: 60 },
    { head: 'W', right: true, keep: 50 },
    { head: 'peak VRAM', right: true, keep: 70 },
    ...(withPcie ? [{ head: 'PCIe in/out GB', right: true, keep: 65 }] : []),
    ...(withHeat ? [{ head: '°C', right: true, keep: 35 }] : []),
    ...(withMeta
      ? [
          { head: 'steps', right: true, keep: 30 },
          { head: 'sampler', keep: 20 },
          { head: 'size', keep: 25 },
          { head: 'seed', right: true, keep: 10 },
          { head: 'model', keep: 15 },
        ]
      : []),
    { head: 'marks', keep: 80 },
  ];
  const body = rows.map((r) => {
    const marks = [
      r.warmup ? 'warm-up' : '',
      r.blank ? 'BLANK' : '',
      r.batchSize > 1 ? `batch ${r.batch}×${r.batchSize}` : '',
      r.flagged ? 'avg-power' : '',
      r.coverage < 0.95 ? `cov ${fmtPercent(r.coverage)}` : '',
      offloadMark(r).toUpperCase(),
      throttleMark(r.heat),
    ]
      .filter(Boolean)
      .join(' ');
    const m = r.meta;
    const meta = withMeta
      ? [
          m?.steps !== undefined ? String(m.steps) : NA,
          m?.sampler ?? NA,
          m?.width && m?.height ? `${m.width}x${m.height}` : NA,
          m?.seed !== undefined ? String(m.seed) : NA,
          m?.model ?? NA,
        ]
      : [];
    return [
      String(r.index + 1),
      basename(r.path),
      fmtNum(r.seconds, 3),
      fmtNum(r.joules, 1),
      fmtNum(r.netJoules, 1),
      fmtNum(r.watts, 1),
      fmtBytes(r.peakVramBytes),
      ...(withPcie
        ? [
            r.memory?.pcieRxBytes == null
              ? NA
              : `${(r.memory.pcieRxBytes / 1e9).toFixed(2)}/${r.memory.pcieTxBytes == null ? NA : (r.memory.pcieTxBytes / 1e9).toFixed(2)}`,
          ]
        : []),
      ...(withHeat ? [tempText(r.heat) || NA] : []),
      ...meta,
      marks,
    ];
  });
  const t = fitTable(cols, body, widthCols);
  return t.text + leftOutNote(t, widthCols);
}

/** The first line of a simulated session's summary, wherever it is printed. */
export const SIMULATED_LINE = 'SIMULATED GPU: the demo model, not hardware';

export function summaryText(s: Summary, simulated = false): string {
  const lines = [
    ...(simulated ? [SIMULATED_LINE] : []),
    `images        ${s.images} (${s.warmupImages} warm-up, excluded from means; ${s.steadyImages} steady${s.blankImages ? `; ${s.blankImages} BLANK (black or uniform), excluded, ${fmtJoules(s.blankJoules ?? null)} together` : ''})`,
    `s/image       mean ${fmtSeconds(s.secondsPerImage.mean)}  median ${fmtSeconds(s.secondsPerImage.median)}  p95 ${fmtSeconds(s.secondsPerImage.p95)}  sd ${fmtSeconds(s.secondsPerImage.stdev)}`,
    `J/image       mean ${fmtJoules(s.joulesPerImage.mean)}  median ${fmtJoules(s.joulesPerImage.median)}  net of idle ${fmtJoules(s.joulesPerImage.netMean)}  sd ${fmtJoules(s.joulesPerImage.stdev)}`,
    `power         mean ${fmtWatts(s.meanWatts)}  idle ${fmtWatts(s.idleWatts)}  peak VRAM ${fmtBytes(s.peakVramBytes)}`,
    `throughput    ${s.imagesPerHour === null ? NA : s.imagesPerHour.toFixed(0)} images/hour  ${s.whPer1000Images === null ? NA : s.whPer1000Images.toFixed(1)} Wh per 1000 images`,
    `measured by   ${methodText(s)}`,
    // An external meter measures more than the GPU (the wall socket, a PSU): its own lines, its scope named.
    ...(s.meters ?? []).map(
      (m) =>
        `meter         ${m.scope}: mean ${fmtJoules(m.joulesPerImage.mean)}/image  net of its idle ${fmtJoules(m.joulesPerImage.netMean)}  idle ${fmtWatts(m.idleWatts)}  coverage ${m.coverage === null ? NA : `${Math.round(m.coverage * 100)}%`} (${m.images} images; not GPU energy)`,
    ),
    ...memoryLines(s),
    ...heatLines(s),
  ];
  return lines.join('\n');
}

function memoryLines(s: Summary): string[] {
  const m = s.memory;
  if (!m) return [];
  const pcie =
    m.pcieRxBytesPerImage === null && m.pcieTxBytesPerImage === null
      ? `PCIe ${NA}`
      : `PCIe to GPU ${fmtGb(m.pcieRxBytesPerImage)}, from GPU ${fmtGb(m.pcieTxBytesPerImage)} /image`;
  // What was not measured is left out of the last line (PCIe says n/a above).
  const known = [
    m.hostRssPeakBytes === null ? '' : `generator RAM ${fmtBytes(m.hostRssPeakBytes)}`,
    m.swapBytesPerImage === null ? '' : `swap ${fmtGb(m.swapBytesPerImage)}/image`,
    m.minFreeVramBytes === null ? '' : `VRAM free ≥ ${fmtBytes(m.minFreeVramBytes)}`,
  ].filter(Boolean);
  return [
    `memory        ${pcie}`,
    ...(m.offloadShare === null ? [] : [`offloading    ${m.offloadImages} of the steady images (${fmtPercent(m.offloadShare)})`]),
    ...(known.length ? [`              ${known.join('  ')}`] : []),
  ];
}

function heatLines(s: Summary): string[] {
  const h = s.heat;
  if (!h) return [];
  const reasons = Object.entries(h.throttle ?? {})
    .filter(([, v]) => v >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmtPercent(v)}`);
  const thr =
    h.throttledShare === null ? `clock reasons ${NA}` : `throttled ${fmtPercent(h.throttledShare)}${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
  return [
    `heat          start ${fmtNum(h.startC, 0)} °C  mean ${fmtNum(h.meanC, 0)} °C  max ${fmtNum(h.maxC, 0)} °C  SM ${fmtNum(h.smClockMeanMhz, 0)} MHz`,
    `              ${thr}`,
  ];
}

/** The columns that decide a comparison, most important kept longest; csv, md, html and json have them all. */
const COMPARISON_KEEP: Readonly<Record<string, number>> = {
  session: Infinity,
  's/image': 100,
  'J/image': 100,
  images: 90,
  'net J/image': 80,
  'peak VRAM': 70,
  'mean W': 60,
  method: 50,
  'cost/image': 45,
  'g CO₂e/image': 45,
  'Wh/1000 img': 40,
  backend: 35,
  model: 34,
  steps: 33,
  size: 32,
  attention: 31,
  'J/step': 20,
  'J/MP': 20,
};

function comparisonText(rows: readonly ComparisonRow[], widthCols?: number): string {
  const cells = comparisonCells(rows.map((r) => (r.simulated ? { ...r, session: `${r.session} (sim)` } : r)));
  const idx = cells.head.map((h, i) => (h in COMPARISON_KEEP && cells.body.some((r) => r[i] !== NA) ? i : -1)).filter((i) => i >= 0);
  const cols = idx.map((i): FitColumn => ({
    head: cells.head[i],
    right: cells.numeric[i],
    keep: COMPARISON_KEEP[cells.head[i]],
    minWidth: i === idx[0] ? 12 : undefined,
  }));
  const t = fitTable(
    cols,
    cells.body.map((r) => idx.map((i) => r[i])),
    widthCols,
  );
  return t.text + leftOutNote(t, widthCols);
}

/** `== FILE`, the file cut from its start when the line would not fit (its name is at the end). */
function sessionTitle(file: string, complete: boolean, w: number | undefined): string {
  const tail = complete ? '' : w !== undefined && w < 100 ? '  (UNFINISHED)' : '  (UNFINISHED: genwatt was stopped before the end)';
  return `== ${clipPath(file, w === undefined ? undefined : Math.max(20, w - 3 - tail.length))}${tail}`;
}

/** One session: where and how it was recorded, its summary, and (on request) its images. */
function sessionText(s: LoadedSession, layout: TextLayout): string {
  const d = s.doc;
  const w = layout.widthCols;
  const gpus =
    d.devices
      .filter(isGpu)
      .map((x) => x.name)
      .join(', ') || NA;
  const tags = Object.entries(d.run.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    sessionTitle(s.file, d.complete, w),
    clipLine(`host ${d.host.hostname} · ${gpus} · genwatt ${d.genwatt} · ${d.startedAt}`, w),
    clipLine(d.run.argv ? `command: ${d.run.argv.join(' ')}` : `mode: ${d.run.mode}${d.run.outDir ? ` ${d.run.outDir}` : ''}`, w),
    ...(tags ? [wrapWords(`tags: ${tags}`, w)] : []),
    ...s.warnings.map((x) => wrapWords(`warning: ${x}`, w)),
    summaryText(
      d.summary,
      d.devices.some((x) => x.simulated),
    ),
    ...(layout.images ? ['', d.rows.length ? imagesTable(d.rows, w) : '(no images)'] : []),
  ].join('\n');
}

/**
 * The text report, summaries first: the configurations (several sessions), the comparison, then
 * each session's summary; per-image tables only with `images`, so four sessions fit a screen.
 */
export function reportText(sessions: readonly LoadedSession[], opts: CompareOptions = {}, layout: TextLayout = {}): string {
  const w = layout.widthCols;
  const parts: string[] = [];
  const rows = sessions.map((s) => comparisonRow(s, opts));
  if (sessions.length > 1 && opts.groupBy !== null) {
    const groups = groupSessions(sessions, rows, opts);
    parts.push(
      `${clipLine(`== configurations (${sessions.length} runs in ${groups.length} group${groups.length === 1 ? '' : 's'}; mean ± 95% CI across runs)`, w)}\n${groupsText(groups, w, opts.startTempMarginC).trimEnd()}`,
    );
  }
  const perUnit = rows.some((r) => r.joulesPerStep !== null || r.joulesPerMegapixel !== null);
  if (sessions.length > 1 || perUnit || opts.priceKwh !== undefined || opts.gco2Kwh !== undefined)
    parts.push(`== comparison (steady means)\n${comparisonText(rows, w)}`);
  for (const s of sessions) parts.push(sessionText(s, layout));
  if (!layout.images && sessions.some((s) => s.doc.rows.length)) parts.push('(per-image tables: add --images)');
  return parts.join('\n\n') + '\n';
}

/** Steady images' seconds and joules of a session (a one-run configuration's interval is over them). */
export function steadyValues(s: LoadedSession): { seconds: number[]; joules: number[] } {
  const steady = s.doc.rows.filter((r) => !r.warmup && !r.blank);
  return { seconds: steady.map((r) => r.seconds), joules: steady.filter((r) => r.joules !== null).map((r) => r.joules!) };
}

/** Sessions grouped by configuration, per the options. */
export function groupSessions(sessions: readonly LoadedSession[], rows: readonly ComparisonRow[], opts: CompareOptions): ConfigGroup[] {
  const bySession = new Map(rows.map((r, i) => [r, sessions[i]]));
  return groupRows(rows, opts.groupBy ?? GROUP_KEYS, (r) => steadyValues(bySession.get(r)!), opts.baseline);
}
