/** Device panels (pure): full panels with charts, or one compact row per device. */
import { asleepLine, fmtNum, fmtWatts, NA } from '../src/text/format.js';
import { areaChart, chartResolution } from './braille-chart.js';
import type { Glyphs } from './glyphs.js';
import { lineWidth, packSegments, seg, type Line } from './lines.js';
import { bar, resample, sparkline } from './sparkline.js';
import { clip, padLeft, rule } from './text-fit.js';
import { textWidth } from '../src/text/text-width.js';
import type { DashboardView, DeviceView } from './view-model.js';

const fmtW = (v: number | undefined | null): string => fmtWatts(v, 'compact');

function gib(v: number | undefined): string {
  return v === undefined ? NA : (v / 1024 ** 3).toFixed(v >= 10 * 1024 ** 3 ? 1 : 2);
}

/** "12.30/80.00 GiB" — used over total, each n/a when unknown. */
export function vramText(used: number | undefined, total: number | undefined): string {
  return `${gib(used)}/${gib(total)} GiB`;
}

/** Top of a device's power scale: its limit, its maximum, what the window shows. */
function ownScale(d: DeviceView, values: readonly (number | null)[] = []): number {
  const seen = values.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  return Math.max(d.powerLimitWatts ?? 0, d.maxPowerWatts ?? 0, seen, 1);
}

/** The scale a chart uses: its own, or (key `w`) the largest over every device, so they compare. */
function powerScale(v: DashboardView, d: DeviceView, values: readonly (number | null)[]): number {
  if (!v.sharedScale) return ownScale(d, values);
  return Math.max(ownScale(d, values), ...v.devices.map((x) => ownScale(x)));
}

/** Colour of a power value by its share of the power limit (green, yellow past 50 %, red past 85 %). */
export function powerTone(w: number | null, limit: number | undefined): 'power' | 'warn' | 'error' {
  if (w === null || !limit) return 'power';
  const share = w / limit;
  return share >= 0.85 ? 'error' : share >= 0.5 ? 'warn' : 'power';
}

/** A chart row cut into segments of one tone each, by the value under each cell (the one colour rule: {@link powerTone}). */
export function tonedRow(text: string, values: readonly (number | null)[], perCell: number, limit: number | undefined): Line {
  // Chart glyphs (braille U+28xx, ASCII) are one UTF-16 unit per cell: runs are sliced, not built
  // a character at a time (this ran for every cell of every chart row, every frame).
  const cells = /[\uD800-\uDFFF]/.test(text) ? [...text] : null;
  const n = cells ? cells.length : text.length;
  const out: Line = [];
  let start = 0;
  let tone: ReturnType<typeof powerTone> | null = null;
  for (let c = 0; c < n; c++) {
    let v: number | null = null;
    for (let k = 0; k < perCell; k++) {
      const x = values[c * perCell + k];
      if (x !== null && x !== undefined && (v === null || x > v)) v = x;
    }
    const t = powerTone(v, limit);
    if (t === tone) continue;
    if (tone !== null) out.push(seg(cells ? cells.slice(start, c).join('') : text.slice(start, c), tone));
    start = c;
    tone = t;
  }
  if (tone !== null) out.push(seg(cells ? cells.slice(start).join('') : text.slice(start), tone));
  return out;
}

/** Width of the chart's W axis labels. */
const AXIS_W = 7;

function kindText(d: DeviceView): string {
  const kind = d.powerKind ?? '';
  return d.hasCounter ? (kind ? `${kind}, counter` : 'counter') : kind;
}

export function powerLine(d: DeviceView, width: number): Line {
  if (d.pmState !== undefined) return packSegments([[seg('power '), seg(asleepLine(d.pmState), 'dim')]], width);
  const now: Line = d.stale
    ? [seg('power '), seg(d.powerWatts === undefined ? NA : `${fmtW(d.powerWatts)}?`, 'warn', true), seg(' no fresh data', 'warn')]
    : [seg('power '), seg(fmtW(d.powerWatts), powerTone(d.powerWatts ?? null, d.powerLimitWatts), true), seg(kindText(d) ? ` ${kindText(d)}` : '', 'dim')];
  // A meter measures more than a GPU: its scope says what, and it has no GPU fields.
  if (d.meter) return packSegments([now, [seg(`max ${fmtW(d.maxPowerWatts)}`)], [seg(`(${d.powerScope ?? 'external meter'}; not GPU power)`, 'dim')]], width);
  return packSegments(
    [
      now,
      [seg(`max ${fmtW(d.maxPowerWatts)}`)],
      [seg(`limit ${fmtW(d.powerLimitWatts)}`, 'dim')],
      [seg(`util ${d.utilizationPercent === undefined ? NA : `${fmtNum(d.utilizationPercent, 0)}%`}`)],
      [seg(d.temperatureC === undefined ? `${NA} °C` : `${fmtNum(d.temperatureC, 0)} °C`)],
      d.throttleReasons && d.throttleReasons.length ? [seg(`throttled: ${d.throttleReasons.join(',')}`, 'warn')] : [],
      [seg(d.clockMhz === undefined ? `${NA} MHz` : `${fmtNum(d.clockMhz, 0)} MHz`, 'dim')],
      d.powerScope ? [seg(`(${d.powerScope})`, 'dim')] : [],
    ],
    width,
  );
}

/** A W value for the axis: whole watts from 10 W, one decimal below (edge boards). */
const axisW = (w: number) => `${w >= 10 ? Math.round(w) : w.toFixed(1)} W`;

function powerChart(d: DeviceView, v: DashboardView, g: Glyphs, width: number, rows: number): Line[] {
  const chartW = Math.max(4, width - AXIS_W);
  if (rows <= 1) {
    const vals = resample(d.power, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: chartW, holdMs: v.holdMs });
    const max = powerScale(v, d, vals);
    return [[seg(padLeft(axisW(max), AXIS_W - 1) + ' ', 'dim'), ...tonedRow(sparkline(vals, g, { min: 0, max }), vals, 1, d.powerLimitWatts)]];
  }
  const vals = resample(d.power, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: chartResolution(chartW, v.ascii), holdMs: v.holdMs });
  const max = powerScale(v, d, vals);
  return areaChart(vals, { height: rows, max, ascii: v.ascii }).map((l, i, all) => {
    const label = i === 0 ? axisW(max) : i === all.length - 1 ? '0 W' : all.length >= 5 && i === Math.floor(all.length / 2) ? axisW(max / 2) : '';
    return [seg(padLeft(label, AXIS_W - 1) + ' ', 'dim'), ...tonedRow(l, vals, v.ascii ? 1 : 2, d.powerLimitWatts)];
  });
}

export function vramLine(d: DeviceView, v: DashboardView, g: Glyphs, width: number): Line {
  const frac = d.vramUsedBytes !== undefined && d.vramTotalBytes ? d.vramUsedBytes / d.vramTotalBytes : null;
  const head: Line = [seg(`${d.memoryLabel} `), seg(vramText(d.vramUsedBytes, d.vramTotalBytes), 'vram', true)];
  const peak: Line = [seg(`peak ${gib(d.peakVramBytes)} GiB`)];
  const fixed = lineWidth(head) + 2 + lineWidth(peak) + 2;
  const room = width - fixed;
  if (room < 6) return packSegments([head, peak], width);
  const barW = Math.min(20, Math.max(4, Math.floor(room / 3)));
  const sparkW = room - barW - 4;
  const parts: Line[] = [head, [seg(bar(frac, barW, g), 'vram')], peak];
  if (sparkW >= 8) {
    const vals = resample(d.vram, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: sparkW, holdMs: v.holdMs });
    parts.push([seg(sparkline(vals, g, { min: 0, max: d.vramTotalBytes ?? undefined }), 'vram')]);
  }
  return packSegments(parts, width);
}

function windowSeconds(v: DashboardView): number {
  return Math.round((v.windowToMs - v.windowFromMs) / 1000);
}

export function fullPanel(d: DeviceView, v: DashboardView, g: Glyphs, width: number, chartRows: number, focused: boolean): Line[] {
  const mark = focused && v.devices.length > 1 ? '> ' : '';
  const scale = v.sharedScale && v.devices.length > 1 ? ` ${g.dot} one scale` : '';
  const charged = d.charged === false ? ` ${g.dot} NOT CHARGED to this run` : '';
  const title = `${mark}${d.id} ${g.dot} ${d.name} ${g.dot} power, last ${windowSeconds(v)} s${scale}${charged}`;
  const panel = [[seg(rule(title, width, g.rule), 'title')], powerLine(d, width), ...powerChart(d, v, g, width, chartRows)];
  // A meter's panel keeps the GPU panel's height (the layout counts on it): its last line says what it is.
  return [
    ...panel,
    d.meter ? packSegments([[seg('an external meter: its joules per image are in the summary and the report', 'dim')]], width) : vramLine(d, v, g, width),
  ];
}

export function compactRow(d: DeviceView, v: DashboardView, g: Glyphs, width: number, index: number, focused: boolean): Line {
  const label = `${focused ? '>' : ' '}${index} ${clip(d.name, 18, g.ellipsis)}`;
  const nums = `${fmtW(d.powerWatts)}${d.stale ? '?' : ''}`.padStart(8);
  const tail = `${vramText(d.vramUsedBytes, d.vramTotalBytes)} ${d.utilizationPercent === undefined ? NA : fmtNum(d.utilizationPercent, 0) + '%'} ${d.temperatureC === undefined ? NA : fmtNum(d.temperatureC, 0) + '°C'}`;
  const sparkW = Math.max(0, width - textWidth(label) - nums.length - textWidth(tail) - 4);
  const vals = resample(d.power, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: sparkW, holdMs: v.holdMs });
  const spark = sparkW > 0 ? tonedRow(sparkline(vals, g, { min: 0, max: powerScale(v, d, vals) }), vals, 1, d.powerLimitWatts) : [];
  return packSegments(
    [
      [seg(label, focused ? 'selected' : undefined)],
      [seg(nums, d.stale ? 'warn' : 'power', true)],
      spark,
      [seg(d.charged === false ? `${tail} (not charged)` : tail, 'vram')],
    ],
    width,
    ' ',
  );
}

/** All device lines for the layout's mode. */
export function deviceLines(v: DashboardView, g: Glyphs, width: number, mode: 'full' | 'focus' | 'compact', chartRows: number, compactRows: number): Line[] {
  const devs = v.devices;
  if (devs.length === 0) return [[seg(rule('devices', width, g.rule), 'title')], [seg('no device readings yet', 'dim')]];
  const focused = Math.min(v.focused, devs.length - 1);
  if (mode === 'full') return devs.flatMap((d, i) => fullPanel(d, v, g, width, chartRows, i === focused));
  if (mode === 'focus') {
    const others = devs.map((d, i) => ({ d, i })).filter((x) => x.i !== focused);
    return [
      ...fullPanel(devs[focused], v, g, width, 1, true),
      [seg(rule(`other devices (d: focus next)`, width, g.rule), 'title')],
      ...others.slice(0, compactRows).map((x) => compactRow(x.d, v, g, width, x.i, false)),
    ];
  }
  const shown = devs.slice(0, compactRows);
  const lines: Line[] = [
    [seg(rule(`devices (${devs.length}) ${g.dot} d: focus`, width, g.rule), 'title')],
    ...shown.map((d, i) => compactRow(d, v, g, width, i, i === focused)),
  ];
  if (shown.length < devs.length) lines.push([seg(`+${devs.length - shown.length} more (make the terminal taller, or d to focus)`, 'dim')]);
  return lines;
}
