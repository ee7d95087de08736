/**
 * The whole frame as styled lines (pure): header, devices or an overlay, run panel, images, then
 * the status line and the key hints (both always there). Below the smallest usable terminal it says
 * so, keeping the recording fact and how to quit.
 */
import { deviceLines } from './device-section.js';
import { footerLine, statusLine } from './footer-section.js';
import { glyphsFor } from './glyphs.js';
import { headerLines, recordingFact } from './header-section.js';
import { helpLines } from './help-section.js';
import { historyLines } from './history-section.js';
import { imageTableLines } from './image-table.js';
import { launcherLines } from './launcher-section.js';
import { MIN_COLS, MIN_ROWS, planLayout } from './layout.js';
import { asciiLine, fitLine, safeLine, seg, type Line } from './lines.js';
import { processLines } from './process-section.js';
import { runLines } from './run-section.js';
import type { DashboardView } from './view-model.js';

function tooSmallLines(v: DashboardView, height: number, width: number): Line[] {
  const g = glyphsFor(v.ascii);
  // The longest wording that fits: a message cut at the width would state the wrong size.
  const size = `${MIN_COLS}${v.ascii ? 'x' : '×'}${MIN_ROWS}`;
  const message = [`terminal too small (needs ${size})`, `too small: needs ${size}`, `needs ${size}`].find((m) => m.length <= width) ?? size;
  const lines: Line[] = [[seg(message, 'warn', true)], recordingFact(v, g, width)];
  if (v.header.banner) lines.push([seg(v.header.banner, 'warn', true)]);
  lines.push([seg('q', 'key', true), seg(' quit', 'dim')]);
  return lines.slice(0, height);
}

export function frameLines(v: DashboardView): Line[] {
  const g = glyphsFor(v.ascii);
  const L = planLayout(v.width, v.height, v.devices.length, v.rows.length);
  const w = L.width;
  const fit = (lines: Line[]) => lines.map((l) => fitLine(v.ascii ? asciiLine(l) : safeLine(l), w));
  if (L.tooSmall) return fit(tooSmallLines(v, L.height, w));
  const head = headerLines(v, g, w);
  const foot = [statusLine(v, g, w), footerLine(v, g, w)];
  const bodyH = Math.max(0, L.height - head.length - foot.length);
  let body: Line[];
  if (v.overlay === 'help') body = helpLines(g, w, bodyH, v.helpOffset ?? 0);
  else {
    const devices = deviceLines(v, g, w, L.deviceMode, L.chartRows, L.compactRows);
    const run = runLines(v, g, w, L.runLines);
    if (v.overlay === 'chart') body = [...historyLines(v, g, w, Math.max(5, bodyH - run.length)), ...run];
    else if (v.overlay === 'processes') {
      // Like the launcher: the panel takes the lines it needs, the latest images stay below.
      const procs = processLines(v, g, w, Math.max(3, bodyH - run.length - 4));
      const tableRoom = bodyH - procs.length - run.length - 1;
      body = [...procs, ...run, ...(tableRoom > 1 ? imageTableLines(v.rows, g, w, tableRoom, v.tableOffset) : [])];
    } else if (v.overlay === 'launcher') {
      // The launcher takes what it needs; the run panel and the latest images stay visible below.
      const launcherH = Math.max(4, Math.min(bodyH - run.length, v.launcher.presets.length + 6));
      const launcher = launcherLines(v.launcher, g, w, launcherH, v.run.mode !== 'monitor' && v.run.state !== 'done');
      const tableRoom = bodyH - launcher.length - run.length - 1;
      body = [...launcher, ...run, ...(tableRoom > 1 ? imageTableLines(v.rows, g, w, tableRoom, v.tableOffset) : [])];
    } else {
      const tableRoom = bodyH - devices.length - run.length - 1;
      body = [...devices, ...run, ...imageTableLines(v.rows, g, w, Math.max(0, tableRoom), v.tableOffset)];
    }
  }
  body = body.slice(0, bodyH);
  while (body.length < bodyH) body.push([]);
  return fit([...head, ...body, ...foot].slice(-L.height));
}
