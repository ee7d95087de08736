/** The whole frame as styled lines (pure): header, devices or an overlay, run panel, images, footer. */
import { deviceLines } from './device-section.js';
import { footerLine } from './footer-section.js';
import { glyphsFor } from './glyphs.js';
import { headerLines } from './header-section.js';
import { helpLines } from './help-section.js';
import { historyLines } from './history-section.js';
import { imageTableLines } from './image-table.js';
import { launcherLines } from './launcher-section.js';
import { planLayout } from './layout.js';
import { asciiLine, fitLine, safeLine, type Line } from './lines.js';
import { runLines } from './run-section.js';
import type { DashboardView } from './view-model.js';

export function frameLines(v: DashboardView): Line[] {
  const g = glyphsFor(v.ascii);
  const L = planLayout(v.width, v.height, v.devices.length);
  const w = L.width;
  const head = headerLines(v, g, w);
  const foot = footerLine(v, g, w);
  const bodyH = Math.max(0, L.height - head.length - 1);
  let body: Line[];
  if (v.overlay === 'help') body = helpLines(g, w, bodyH);
  else {
    const devices = deviceLines(v, g, w, L.deviceMode, L.chartRows, L.compactRows);
    const run = runLines(v, g, w, L.runLines);
    if (v.overlay === 'chart') body = [...historyLines(v, g, w, Math.max(5, bodyH - run.length)), ...run];
    else if (v.overlay === 'launcher') {
      // The launcher takes what it needs; the run panel and the latest images stay visible below.
      const launcherH = Math.max(4, Math.min(bodyH - run.length, v.launcher.presets.length + 6));
      const launcher = launcherLines(v.launcher, g, w, launcherH, v.run.mode !== 'monitor' && v.run.state !== 'done');
      const tableRoom = bodyH - launcher.length - run.length - 1;
      body = [...launcher, ...run, ...(tableRoom > 1 ? imageTableLines(v.rows, g, w, tableRoom) : [])];
    } else {
      const tableRoom = bodyH - devices.length - run.length - 1;
      body = [...devices, ...run, ...imageTableLines(v.rows, g, w, Math.max(0, tableRoom))];
    }
  }
  body = body.slice(0, bodyH);
  while (body.length < bodyH) body.push([]);
  const all = [...head, ...body, foot].slice(-L.height);
  return all.map((l) => fitLine(v.ascii ? asciiLine(l) : safeLine(l), w));
}
