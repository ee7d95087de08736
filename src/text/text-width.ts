/**
 * Display width of text in terminal cells (pure). File names, preset names, sampler names and a
 * vendor tool's last words come from outside: CJK and emoji take two cells, combining marks none,
 * and control characters (an ESC in a file name) must never reach the terminal. Widths are
 * string-width's (what Ink measures with); controls count one cell, as the `?` they are drawn as.
 */
import stringWidth from 'string-width';

// One cell each: printable ASCII and Latin-1, general punctuation (…), arrows, box drawing, block
// elements, braille. The dashboard's own glyphs are all here, so nearly every string takes this path.
const NARROW = /^[\x20-\x7e\xa0-\xac\xae-\xff\u2010-\u2027\u2190-\u21ff\u2500-\u259f\u2800-\u28ff]*$/;
const segmenter = new Intl.Segmenter();
const WIDTH = { countAnsiEscapeCodes: true } as const;

/**
 * Control characters (an ESC in a file name, a tool's garbage) and bidirectional controls (U+202E
 * shows a name reversed) as `?`: shown, never obeyed by the terminal.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
}

/** printable(), with the fast path for the dashboard's own strings. */
export function termSafe(s: string): string {
  return NARROW.test(s) ? s : printable(s);
}

export function textWidth(s: string): number {
  return NARROW.test(s) ? s.length : stringWidth(termSafe(s), WIDTH);
}

function clusters(s: string): { text: string; width: number }[] {
  return Array.from(segmenter.segment(termSafe(s)), ({ segment }) => ({ text: segment, width: stringWidth(segment, WIDTH) }));
}

/** The longest start of `s` at most `width` cells wide (a wide character never split). */
export function takeWidth(s: string, width: number): string {
  if (width <= 0) return '';
  if (NARROW.test(s)) return s.slice(0, width);
  let out = '';
  let used = 0;
  for (const c of clusters(s)) {
    if (used + c.width > width) break;
    out += c.text;
    used += c.width;
  }
  return out;
}

/** The longest end of `s` at most `width` cells wide. */
export function takeWidthEnd(s: string, width: number): string {
  if (width <= 0) return '';
  if (NARROW.test(s)) return s.slice(Math.max(0, s.length - width));
  const cs = clusters(s);
  let out = '';
  let used = 0;
  for (let i = cs.length - 1; i >= 0; i--) {
    if (used + cs[i].width > width) break;
    out = cs[i].text + out;
    used += cs[i].width;
  }
  return out;
}
