/** Device panels (pure): full panels with charts, or one compact row per device. */
import { fmtBytes, fmtNum, fmtWatts, NA } from '../src/text/format.js';
import { areaChart, chartResolution } from './braille-chart.js';
import type { Glyphs } from './glyphs.js';
import { lineWidth, packSegments, seg, type Line } from './lines.js';
import { bar, resample, sparkline } from './sparkline.js';
import { clip, rule } from './text-fit.js';
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

function powerScale(d: DeviceView, values: readonly (number | null)[]): number {
  const seen = values.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  return Math.max(d.powerLimitWatts ?? 0, d.maxPowerWatts ?? 0, seen, 1);
}

function kindText(d: DeviceView): string {
  const kind = d.powerKind ?? '';
  return d.hasCounter ? (kind ? `${kind}, counter` : 'counter') : kind;
}

export function powerLine(d: DeviceView, width: number): Line {
  const now: Line = d.stale
    ? [seg('power '), seg(d.powerWatts === undefined ? NA : `${fmtW(d.powerWatts)}?`, 'warn', true), seg(' no fresh data', 'warn')]
    : [seg('power '), seg(fmtW(d.powerWatts), 'power', true), seg(kindText(d) ? ` ${kindText(d)}` : '', 'dim')];
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

function powerChart(d: DeviceView, v: DashboardView, g: Glyphs, width: number, rows: number): Line[] {
  if (rows <= 1) {
    const vals = resample(d.power, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: width, holdMs: v.holdMs });
    return [[seg(sparkline(vals, g, { min: 0, max: powerScale(d, vals) }), 'power')]];
  }
  const vals = resample(d.power, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: chartResolution(width, v.ascii), holdMs: v.holdMs });
  return areaChart(vals, { height: rows, max: powerScale(d, vals), ascii: v.ascii }).map((l) => [seg(l, 'power')]);
}

export function vramLine(d: DeviceView, v: DashboardView, g: Glyphs, width: number): Line {
  const frac = d.vramUsedBytes !== undefined && d.vramTotalBytes ? d.vramUsedBytes / d.vramTotalBytes : null;
  const head: Line = [seg(`${d.memoryLabel} `), seg(vramText(d.vramUsedBytes, d.vramTotalBytes), 'vram', true)];
  const peak: Line = [seg(`peak ${fmtBytes(d.peakVramBytes)}`)];
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
  const title = `${mark}${d.id} ${g.dot} ${d.name} ${g.dot} power, last ${windowSeconds(v)} s`;
  return [[seg(rule(title, width, g.rule), 'title')], powerLine(d, width), ...powerChart(d, v, g, width, chartRows), vramLine(d, v, g, width)];
}

export function compactRow(d: DeviceView, v: DashboardView, g: Glyphs, width: number, index: number, focused: boolean): Line {
  const label = `${focused ? '>' : ' '}${index} ${clip(d.name, 18, g.ellipsis)}`;
  const nums = `${fmtW(d.powerWatts)}${d.stale ? '?' : ''}`.padStart(8);
  const tail = `${vramText(d.vramUsedBytes, d.vramTotalBytes)} ${d.utilizationPercent === undefined ? NA : fmtNum(d.utilizationPercent, 0) + '%'} ${d.temperatureC === undefined ? NA : fmtNum(d.temperatureC, 0) + '°C'}`;
  const sparkW = Math.max(0, width - textWidth(label) - nums.length - textWidth(tail) - 4);
  const vals = resample(d.power, { fromMs: v.windowFromMs, toMs: v.windowToMs, columns: sparkW, holdMs: v.holdMs });
  return packSegments([[seg(label, focused ? 'selected' : undefined)], [seg(nums, d.stale ? 'warn' : 'power', true)], sparkW > 0 ? [seg(sparkline(vals, g, { min: 0, max: powerScale(d, vals) }), 'power')] : [], [seg(tail, 'vram')]], width, ' ');
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
  const lines: Line[] = [[seg(rule(`devices (${devs.length}) ${g.dot} d: focus`, width, g.rule), 'title')], ...shown.map((d, i) => compactRow(d, v, g, width, i, i === focused))];
  if (shown.length < devs.length) lines.push([seg(`+${devs.length - shown.length} more (make the terminal taller, or d to focus)`, 'dim')]);
  return lines;
}
