/** History chart overlay (pure): power over the whole run, image markers, time axis. */
import { areaChart, chartResolution } from './braille-chart.js';
import type { Glyphs } from './glyphs.js';
import { fmtElapsed } from './header-section.js';
import { tonedRow } from './device-section.js';
import { seg, type Line } from './lines.js';
import { resample } from './sparkline.js';
import { padLeft, padRight, rule } from './text-fit.js';
import type { DashboardView } from './view-model.js';

const AXIS_W = 7;

export function historyLines(v: DashboardView, g: Glyphs, width: number, height: number): Line[] {
  const d = v.devices[Math.min(v.focused, v.devices.length - 1)];
  const out: Line[] = [];
  if (!d) return [[seg(rule('history', width, g.rule), 'title')], [seg('no device', 'dim')]];
  const fromMs = v.runStartMs ?? d.history[0]?.tMs ?? v.nowMs;
  const toMs = Math.max(v.nowMs, fromMs + 1000);
  out.push([seg(rule(`power history ${g.dot} ${d.id} ${g.dot} ${fmtElapsed((toMs - fromMs) / 1000)} ${g.dot} ${g.marker} = image`, width, g.rule), 'title')]);
  const chartW = Math.max(4, width - AXIS_W);
  const chartH = Math.max(2, height - 3);
  const vals = resample(d.history, { fromMs, toMs, columns: chartResolution(chartW, v.ascii), holdMs: d.historyBucketMs });
  const known = vals.filter((x): x is number => x !== null);
  const max = Math.max(d.powerLimitWatts ?? 0, ...known, 1);
  const lines = areaChart(vals, { height: chartH, max, ascii: v.ascii });
  lines.forEach((l, i) => {
    const label = i === 0 ? `${Math.round(max)} W` : i === lines.length - 1 ? '0 W' : i === Math.floor(lines.length / 2) ? `${Math.round(max / 2)} W` : '';
    out.push([seg(padLeft(label, AXIS_W - 1) + ' ', 'dim'), ...tonedRow(l, vals, v.ascii ? 1 : 2, d.powerLimitWatts)]);
  });
  // Image markers: one per column that holds at least one image's save time.
  const marks = new Array<string>(chartW).fill(' ');
  for (const r of v.rows) {
    const c = Math.floor(((r.tMs - fromMs) / (toMs - fromMs)) * chartW);
    if (c >= 0 && c < chartW) marks[c] = g.marker;
  }
  out.push([seg(' '.repeat(AXIS_W)), seg(marks.join('').trimEnd(), 'marker')]);
  const left = fmtElapsed(0);
  const right = fmtElapsed((toMs - fromMs) / 1000);
  out.push([seg(' '.repeat(AXIS_W) + padRight(left, chartW - right.length) + right, 'dim')]);
  return out.slice(0, height);
}
