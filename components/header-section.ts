/** Header: who/what is measured, recording and run state (pure). */
import { fmtBytes, fmtNum } from '../src/text/format.js';
import type { Glyphs } from './glyphs.js';
import { packSegments, seg, type Line } from './lines.js';
import type { DashboardView } from './view-model.js';

export function fmtElapsed(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`;
}

export function headerLines(v: DashboardView, g: Glyphs, width: number): Line[] {
  const h = v.header;
  const rec: Line = h.recording ? [seg(`${g.bullet} REC`, 'rec', true), seg(` ${h.recordFile ?? ''}`)] : [seg(h.recordFile ? `recorded ${h.recordFile}` : 'not recording', 'dim')];
  const first = packSegments([[seg(`genwatt ${h.version}`, 'title', true)], [seg(h.host)], [seg(h.probes, 'dim')], rec], width, ` ${g.dot} `);
  const r = v.run;
  const count = r.target !== null ? `${r.imagesDone}/${r.target} images` : `${r.imagesDone} images`;
  const state: Line = [seg(r.mode.toUpperCase(), 'title', true), seg(` ${r.state}`, r.state.startsWith('failed') ? 'error' : r.state === 'running' ? 'ok' : undefined)];
  const parts: Line[] = [state];
  if (h.banner) parts.push([seg(h.banner, 'warn', true)]);
  if (r.mode !== 'monitor') parts.push([seg(count)]);
  else if (r.imagesDone > 0) parts.push([seg(`last run ${count}`, 'dim')]);
  parts.push([seg(fmtElapsed(r.elapsedSeconds))]);
  if (r.progress) parts.push([seg(r.progress)]);
  if (r.label) parts.push([seg(r.label, 'dim')]);
  if (h.hostCpuPercent !== undefined || h.hostRamUsedBytes !== undefined) parts.push([seg(`CPU ${fmtNum(h.hostCpuPercent, 0)}% RAM ${fmtBytes(h.hostRamUsedBytes)}`, 'dim')]);
  return [first, packSegments(parts, width)];
}
