/**
 * Header: who/what is measured, recording and run state (pure). Two facts survive every width:
 * whether the session records (`● REC <file>` or `not recording`; a long name keeps its end) and a
 * simulated GPU's warning; the rest is dropped from the right when the terminal is narrow.
 */
import { basename } from 'node:path';
import { fmtClock, fmtNum } from '../src/text/format.js';
import { textWidth } from '../src/text/text-width.js';
import type { Glyphs } from './glyphs.js';
import { lineWidth, packSegments, seg, type Line } from './lines.js';
import { clip, clipStart } from './text-fit.js';
import type { DashboardView } from './view-model.js';

export const fmtElapsed = (seconds: number | null): string => fmtClock(seconds);

/** The recording fact, at most `room` cells: `● REC …name.json`, `recorded …`, or `not recording`. */
export function recordingFact(v: DashboardView, g: Glyphs, room: number): Line {
  const h = v.header;
  if (!h.recordFile) return [seg(clip('not recording', room, g.ellipsis), 'dim')];
  const name = basename(h.recordFile);
  if (h.recording) {
    const head = `${g.bullet} REC `;
    return [seg(head, 'rec', true), seg(clipStart(name, Math.max(1, room - textWidth(head)), g.ellipsis))];
  }
  const head = 'recorded ';
  return [seg(head, 'dim'), seg(clipStart(name, Math.max(1, room - textWidth(head)), g.ellipsis), 'dim')];
}

/** Appends `tail` to optional `parts` packed into what is left of `width`. */
function withFixedTail(parts: readonly Line[], tail: Line, width: number, sep: string): Line {
  const room = width - lineWidth(tail) - sep.length;
  const head = room > 0 ? packSegments(parts, room, sep) : [];
  return head.length ? [...head, seg(sep), ...tail] : tail;
}

export function headerLines(v: DashboardView, g: Glyphs, width: number): Line[] {
  const h = v.header;
  const rec = recordingFact(v, g, Math.max(8, Math.min(Math.floor(width / 2), 48)));
  const sep = ` ${g.dot} `;
  const first = withFixedTail([[seg(`genwatt ${h.version}`, 'title', true)], [seg(h.host)], [seg(h.probes, 'dim')]], rec, width, sep);
  const r = v.run;
  // The count is the table's; an image whose energy window is still closing is counted apart.
  const measuring = r.imagesMeasuring ? ` +${r.imagesMeasuring} measuring` : '';
  const count = `${r.target !== null ? `${r.imagesDone}/${r.target} images` : `${r.imagesDone} images`}${measuring}`;
  const state: Line = [
    seg(r.mode.toUpperCase(), 'title', true),
    seg(` ${r.state}`, r.state.startsWith('failed') ? 'error' : r.state === 'running' ? 'ok' : undefined),
  ];
  // The simulated-GPU warning is never dropped: cut to what fits after the state.
  const banner: Line = h.banner ? [seg(clip(h.banner, Math.max(9, width - lineWidth(state) - 2), g.ellipsis), 'warn', true)] : [];
  const parts: Line[] = [];
  if (r.mode !== 'monitor') parts.push([seg(count)]);
  else if (r.lastRun) parts.push([seg(r.lastRun, 'dim')]);
  else if (r.imagesDone > 0) parts.push([seg(`last run ${count}`, 'dim')]);
  parts.push([seg(fmtElapsed(r.elapsedSeconds))]);
  if (r.mode !== 'monitor' && r.etaSeconds !== undefined && r.etaSeconds !== null && r.etaSeconds > 0)
    parts.push([seg(`ETA ${fmtElapsed(Math.ceil(r.etaSeconds))}`)]);
  if (r.progress) parts.push([seg(r.progress)]);
  if (r.label) parts.push([seg(r.label, 'dim')]);
  if (h.hostCpuPercent !== undefined || h.hostRamUsedBytes !== undefined)
    parts.push([
      seg(`CPU ${fmtNum(h.hostCpuPercent, 0)}% RAM ${h.hostRamUsedBytes === undefined ? 'n/a' : (h.hostRamUsedBytes / 1024 ** 3).toFixed(1)} GiB`, 'dim'),
    ]);
  const fixed: Line = banner.length ? [...state, seg('  '), ...banner] : state;
  const room = width - lineWidth(fixed) - 2;
  const rest = room > 0 ? packSegments(parts, room) : [];
  return [first, rest.length ? [...fixed, seg('  '), ...rest] : fixed];
}
