/**
 * The per-image table (pure): the images that fit, newest at the bottom; scrolled back `offset` rows
 * from the newest, with the position in its rule.
 */
import { basename } from 'node:path';
import { fmtNum, NA } from '../src/text/format.js';
import type { ImageRow } from '../src/energy/image-rows.js';
import type { Glyphs } from './glyphs.js';
import { takeWidth, textWidth } from '../src/text/text-width.js';
import { seg, type Line } from './lines.js';
import { clip, clipStart, padLeft, padRight, rule } from './text-fit.js';
import { offloadMark, throttleMark } from '../src/energy/resource-text.js';

interface Col {
  head: string;
  width: number;
  cell: (r: ImageRow, g: Glyphs) => string;
  /** Text columns are left-aligned, numbers right-aligned. */
  left?: boolean;
  /** Lower = dropped first when the terminal is narrow. */
  priority: number;
  /** Settings read from the images: a column only when a shown image has it. */
  meta?: boolean;
  /** For a meta column whose empty cell still says something: whether a row has the value. */
  has?: (r: ImageRow) => boolean;
}

/** GiB, the one memory unit of the dashboard (the column heads say it). */
function gibText(v: number | null): string {
  return v === null ? NA : (v / 1024 ** 3).toFixed(2);
}

export function marks(r: ImageRow): string {
  const m: string[] = [];
  if (r.warmup) m.push('warm-up');
  if (r.blank) m.push('BLANK');
  if (r.batchSize > 1) m.push(`batch${r.batch}x${r.batchSize}`);
  if (r.flagged) m.push('AVG');
  if (r.coverage < 0.95) m.push(`cov ${Math.round(r.coverage * 100)}%`);
  const off = offloadMark(r);
  if (off) m.push(off.toUpperCase());
  const thr = throttleMark(r.heat);
  if (thr) m.push(thr);
  return m.join(' ');
}

const COLS: Col[] = [
  { head: '#', width: 4, cell: (r) => String(r.index + 1), priority: 9 },
  { head: 's', width: 7, cell: (r) => fmtNum(r.seconds, r.seconds < 10 ? 3 : 1), priority: 9 },
  { head: 'J', width: 8, cell: (r) => fmtNum(r.joules, 1), priority: 9 },
  { head: 'net J', width: 8, cell: (r) => fmtNum(r.netJoules, 1), priority: 5 },
  { head: 'avg W', width: 7, cell: (r) => fmtNum(r.watts, 1), priority: 7 },
  { head: 'VRAM GiB', width: 8, cell: (r) => gibText(r.peakVramBytes), priority: 6 },
  // The generator's own processes (a shared GPU's total is not the generator's), when known.
  // An image no process sample fell in says n/a (unknown), never blank.
  {
    head: 'gen GiB',
    width: 7,
    cell: (r) => (r.processPeakVramBytes === undefined ? NA : gibText(r.processPeakVramBytes)),
    priority: 6,
    meta: true,
    has: (r) => r.processPeakVramBytes !== undefined,
  },
  // Host→GPU traffic (GB), where the interface gives it: what offloading costs shows here.
  {
    head: 'PCIe GB',
    width: 7,
    cell: (r) =>
      r.memory?.pcieRxBytes == null ? NA : (r.memory.pcieRxBytes / 1e9).toFixed(r.memory.pcieRxBytes >= 1e11 ? 0 : r.memory.pcieRxBytes >= 1e8 ? 2 : 3),
    priority: 5,
    meta: true,
    has: (r) => r.memory?.pcieRxBytes != null,
  },
  {
    head: '°C',
    width: 3,
    cell: (r) => (r.heat?.endC == null ? NA : fmtNum(r.heat.endC, 0)),
    priority: 3,
    meta: true,
    has: (r) => r.heat?.endC != null,
  },
  // An external meter's gross joules for the same window (the first meter's; its scope is in its panel).
  {
    head: 'meter J',
    width: 8,
    cell: (r) => (r.meters?.[0] ? fmtNum(r.meters[0].joules, 1) : ''),
    priority: 5,
    meta: true,
    has: (r) => Boolean(r.meters?.length),
  },
  { head: 'steps', width: 5, cell: (r) => (r.meta?.steps === undefined ? '' : String(r.meta.steps)), priority: 4, meta: true },
  { head: 'size', width: 9, cell: (r) => (r.meta?.width && r.meta.height ? `${r.meta.width}x${r.meta.height}` : ''), priority: 3, meta: true },
  { head: 'sampler', width: 16, cell: (r, g) => clip(r.meta?.sampler ?? '', 16, g.ellipsis), priority: 2, meta: true, left: true },
  { head: 'seed', width: 20, cell: (r) => (r.meta?.seed === undefined ? '' : String(r.meta.seed)), priority: 1, meta: true },
];

const MIN_FILE = 12;

/** The first and end (exclusive) index of the rows shown, `room` at a time, `offset` back from the newest. */
export function tableWindow(total: number, room: number, offset = 0): { from: number; to: number; offset: number } {
  const max = Math.max(0, total - room);
  const off = Math.max(0, Math.min(offset, max));
  const to = total - off;
  return { from: Math.max(0, to - room), to, offset: off };
}

export function imageTableLines(rows: readonly ImageRow[], g: Glyphs, width: number, maxRows: number, offset = 0): Line[] {
  const room = Math.max(0, maxRows - 1);
  const win = tableWindow(rows.length, room, offset);
  const where = rows.length > room && room > 0 ? ` ${g.dot} ${win.from + 1}–${win.to} of ${rows.length}${win.offset ? ' (↓ newer)' : ''}` : '';
  const out: Line[] = [[seg(rule(`images (${rows.length})${where}`, width, g.rule), 'title')]];
  if (maxRows <= 0) return out;
  const shown = rows.slice(win.from, win.to);
  const marksW = Math.max(5, ...shown.map((r) => marks(r).length));
  // Settings columns only when shown images carry them, as wide as their longest value (a seed
  // can have 20 digits; a cut one is useless), up to the column's width.
  let cols = COLS.flatMap((c) => {
    if (!c.meta) return [c];
    if (c.has && !shown.some(c.has)) return [];
    const longest = Math.max(0, ...shown.map((r) => textWidth(c.cell(r, g))));
    return longest === 0 ? [] : [{ ...c, width: Math.min(c.width, Math.max(c.head.length, longest)) }];
  });
  const widthOf = (cs: Col[], withMarks: boolean) => cs.reduce((a, c) => a + c.width + 1, 0) + MIN_FILE + (withMarks ? marksW + 1 : 0);
  let withMarks = true;
  while (widthOf(cols, withMarks) > width) {
    const drop = cols.filter((c) => c.priority < 9).sort((a, b) => a.priority - b.priority)[0];
    if (drop) cols = cols.filter((c) => c !== drop);
    else if (withMarks) withMarks = false;
    else break;
  }
  // File names get what is left, up to 40 columns (longer names keep their end).
  const fileW = Math.max(4, Math.min(40, width - widthOf(cols, withMarks) + MIN_FILE));
  const row = (cells: string[], file: string, mk: string) => {
    const [first, ...rest] = cells;
    let s = `${padLeft(first, COLS[0].width)} ${padRight(clipStart(file, fileW, g.ellipsis), fileW)}`;
    rest.forEach((c, i) => (s += ' ' + (cols[i + 1].left ? padRight : padLeft)(c, cols[i + 1].width)));
    if (withMarks) s += ' ' + mk;
    return takeWidth(s, width).trimEnd();
  };
  out.push([
    seg(
      row(
        cols.map((c) => c.head),
        'file',
        withMarks ? 'marks' : '',
      ),
      'dim',
    ),
  ]);
  for (const r of shown) {
    out.push([
      seg(
        row(
          cols.map((c) => c.cell(r, g)),
          basename(r.path),
          marks(r),
        ),
        r.warmup ? 'dim' : undefined,
      ),
    ]);
  }
  if (rows.length === 0 && maxRows >= 2) out.push([seg('no images yet', 'dim')]);
  return out;
}
