/**
 * Styled lines to terminal text (pure). The whole frame goes to Ink as one text node: one layout
 * node instead of hundreds keeps each redraw cheap (CPU and garbage), which matters at 4 frames/s.
 */
import type { Line, Segment, Tone } from './lines.js';

const FG: Record<Tone, number> = {
  title: 36, // cyan
  power: 32, // green
  vram: 35, // magenta
  warn: 33, // yellow
  error: 31, // red
  ok: 32,
  rec: 31,
  dim: 90, // gray
  key: 36,
  selected: 33,
  marker: 33,
};

export interface SegmentStyle {
  fg?: number;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/** Styles for a segment: colors only when allowed (NO_COLOR, --no-color); without them, dim and inverse carry the tones that matter. */
export function segmentStyle(s: Segment, color: boolean): SegmentStyle {
  const st: SegmentStyle = {};
  if (s.bold) st.bold = true;
  if (color && s.tone) st.fg = FG[s.tone];
  if (!color && s.tone === 'dim') st.dim = true;
  if (!color && s.tone === 'selected') st.inverse = true;
  return st;
}

export function styled(s: Segment, color: boolean): string {
  const st = segmentStyle(s, color);
  let open = '';
  let close = '';
  if (st.bold || st.dim) {
    open += st.bold ? '\x1b[1m' : '\x1b[2m';
    close = '\x1b[22m' + close;
  }
  if (st.inverse) {
    open += '\x1b[7m';
    close = '\x1b[27m' + close;
  }
  if (st.fg !== undefined) {
    open += `\x1b[${st.fg}m`;
    close = '\x1b[39m' + close;
  }
  return open ? open + s.text + close : s.text;
}

export function styledLine(l: Line, color: boolean): string {
  let out = '';
  for (const s of l) out += styled(s, color);
  return out;
}
