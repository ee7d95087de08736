/** Styled text lines (pure): each section of the dashboard is a list of these. */

import { ASCII_SYMBOLS } from '../src/text/ascii-symbols.js';
import { takeWidth, termSafe, textWidth } from '../src/text/text-width.js';

export type Tone = 'title' | 'power' | 'vram' | 'warn' | 'error' | 'ok' | 'rec' | 'dim' | 'key' | 'selected' | 'marker';

export interface Segment {
  text: string;
  tone?: Tone;
  bold?: boolean;
}

export type Line = Segment[];

export function seg(text: string, tone?: Tone, bold?: boolean): Segment {
  const s: Segment = { text };
  if (tone) s.tone = tone;
  if (bold) s.bold = true;
  return s;
}

export function plainLine(text: string, tone?: Tone): Line {
  return [seg(text, tone)];
}

export function lineText(l: Line): string {
  return l.map((s) => s.text).join('');
}

export function lineWidth(l: Line): number {
  let n = 0;
  for (const s of l) n += textWidth(s.text);
  return n;
}

/** Cuts a line to `width` columns (segments after the cut are dropped). */
export function fitLine(l: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const s of l) {
    if (left <= 0) break;
    const w = textWidth(s.text);
    if (w <= left) {
      out.push(s);
      left -= w;
    } else {
      out.push({ ...s, text: takeWidth(s.text, left) });
      left = 0;
    }
  }
  return out;
}

/** Appends segments separated by two spaces while they fit into `width`; later ones are dropped. */
export function packSegments(groups: readonly Line[], width: number, sep = '  '): Line {
  const out: Line = [];
  let used = 0;
  for (const g of groups) {
    const w = lineWidth(g);
    if (w === 0) continue;
    const need = (out.length ? sep.length : 0) + w;
    if (used + need > width) {
      if (out.length === 0) return fitLine(g, width);
      continue;
    }
    if (out.length) out.push({ text: sep });
    out.push(...g);
    used += need;
  }
  return out;
}

/** One character for one where it can (frames are laid out in cells before this pass); genwatt's other symbols as in plain output. */
const ASCII_MAP: Record<string, string> = { ...ASCII_SYMBOLS, '…': '~', '↳': '>', '≤': '<', '≥': '>' };

/** Replaces what is not printable ASCII (for --ascii and non-UTF-8 locales), file names included. */
export function toAscii(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : s.replace(/[^\x20-\x7e]/g, (c) => ASCII_MAP[c] ?? '?');
}

/** Control characters from outside (file names, tool output) drawn as `?`. */
export function safeLine(l: Line): Line {
  return l.map((s) => {
    const text = termSafe(s.text);
    return text === s.text ? s : { ...s, text };
  });
}

export function asciiLine(l: Line): Line {
  return l.map((s) => ({ ...s, text: toAscii(s.text) }));
}
