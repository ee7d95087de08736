/**
 * A text table fitted to a terminal's width: long names are shortened in the middle (the start and
 * the end of a file name tell it apart), then the least important columns are left out and named,
 * so that no line wraps. Without a width (piped output) the table is whole.
 */
import { takeWidth, takeWidthEnd, termSafe, textWidth } from './text-width.js';

export interface FitColumn {
  head: string;
  right?: boolean;
  /** Columns are left out lowest first (ties: the rightmost first); Infinity never. */
  keep: number;
  /** A name column that may be shortened down to this width, in the middle. */
  minWidth?: number;
}

export interface FittedTable {
  text: string;
  /** Heads of the columns left out to fit. */
  dropped: string[];
}

const GAP = 2;
/** Names are kept this wide while columns less important than MINOR_KEEP, then MIDDLE_KEEP, go. */
const SOFT_NAME_WIDTH = 24;
const MINOR_KEEP = 50;
const MIDDLE_KEEP = 70;

/** `s` shortened to `width` columns, its middle replaced by `…`. */
export function clipMiddle(s: string, width: number): string {
  if (textWidth(s) <= width) return s;
  if (width <= 1) return takeWidth(s, width);
  const tail = Math.floor((width - 1) / 2);
  return takeWidth(s, width - 1 - tail) + '…' + takeWidthEnd(s, tail);
}

export function fitTable(cols: readonly FitColumn[], body: readonly (readonly string[])[], widthCols?: number): FittedTable {
  const cells = [cols.map((c) => c.head), ...body].map((r) => r.map(termSafe));
  const widths = cols.map((_, i) => Math.max(0, ...cells.map((r) => textWidth(r[i] ?? ''))));
  const shown = cols.map(() => true);
  const total = () => widths.reduce((a, w, i) => a + (shown[i] ? w + GAP : 0), -GAP);
  const limit = widthCols !== undefined && Number.isFinite(widthCols) && widthCols > 0 ? Math.floor(widthCols) : Infinity;
  const dropped: string[] = [];
  // Passes: names down to a readable width while the minor, then the middling columns go; then names
  // to their minimum and any column out. A shortened name still tells rows apart; a dropped column is named.
  for (const [nameWidth, minKeep] of [
    [SOFT_NAME_WIDTH, MINOR_KEEP],
    [SOFT_NAME_WIDTH, MIDDLE_KEEP],
    [0, Infinity],
  ] as const) {
    for (;;) {
      let over = total() - limit;
      if (over <= 0) break;
      for (const [i, c] of cols.entries()) {
        if (!shown[i] || c.minWidth === undefined || over <= 0) continue;
        const cut = Math.min(over, Math.max(0, widths[i] - Math.max(c.minWidth, nameWidth)));
        widths[i] -= cut;
        over -= cut;
      }
      if (over <= 0) break;
      let victim = -1;
      for (const [i, c] of cols.entries())
        if (shown[i] && Number.isFinite(c.keep) && c.keep < minKeep && (victim < 0 || c.keep <= cols[victim].keep)) victim = i;
      if (victim < 0) break; // nothing more may go in this pass
      shown[victim] = false;
      dropped.push(cols[victim].head);
    }
  }
  const pad = (c: string, i: number) => {
    const s = clipMiddle(c, widths[i]);
    const fill = ' '.repeat(Math.max(0, widths[i] - textWidth(s)));
    return cols[i].right ? fill + s : s + fill;
  };
  const text = cells
    .map((r) =>
      r
        .flatMap((c, i) => (shown[i] ? [pad(c, i)] : []))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return { text, dropped };
}

/** A line cut to the width with `…` (a header line, a command line); whole without a width. */
export function clipLine(s: string, widthCols?: number): string {
  if (widthCols === undefined || !Number.isFinite(widthCols) || widthCols <= 0) return s;
  return textWidth(s) <= widthCols ? s : takeWidth(s, widthCols - 1) + '…';
}

/** A path cut to the width from its start (`…/sessions/run.json`): its end names it. */
export function clipPath(s: string, widthCols?: number): string {
  if (widthCols === undefined || !Number.isFinite(widthCols) || widthCols <= 0 || textWidth(s) <= widthCols) return s;
  return '…' + takeWidthEnd(s, Math.max(0, widthCols - 1));
}

/** Words wrapped at the width, continuation lines indented; whole without a width. */
export function wrapWords(s: string, widthCols?: number, indent = '  '): string {
  if (widthCols === undefined || !Number.isFinite(widthCols) || widthCols <= indent.length + 10) return s;
  const out: string[] = [];
  let line = '';
  for (const w of s.split(' ')) {
    const next = line ? `${line} ${w}` : w;
    if (line && textWidth(next) > widthCols) {
      out.push(line);
      line = indent + w;
    } else line = next;
  }
  out.push(line);
  return out.map((l) => clipLine(l, widthCols)).join('\n');
}

/** The line under a fitted table naming what it left out; empty when nothing was. */
export function leftOutNote(t: FittedTable, widthCols: number | undefined): string {
  if (!t.dropped.length) return '';
  return '\n' + wrapWords(`(left out at ${widthCols} columns: ${t.dropped.join(', ')}; a wider terminal, or --format csv/md/json, has them)`, widthCols, ' ');
}
