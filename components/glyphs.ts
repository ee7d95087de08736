/** Character sets for the dashboard: Unicode, or plain ASCII for non-UTF-8 locales and `--ascii`. */

export interface Glyphs {
  /** Sparkline levels, lowest first; a gap is always a space. */
  levels: readonly string[];
  rule: string;
  barFull: string;
  barEmpty: string;
  marker: string;
  bullet: string;
  ellipsis: string;
  dot: string;
}

export const UNICODE_GLYPHS: Glyphs = {
  levels: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
  rule: '─',
  barFull: '█',
  barEmpty: '░',
  marker: '▲',
  bullet: '●',
  ellipsis: '…',
  dot: '·',
};

export const ASCII_GLYPHS: Glyphs = {
  levels: ['_', '.', '-', '=', '+', '*', '#', '@'],
  rule: '-',
  barFull: '#',
  barEmpty: '.',
  marker: '^',
  bullet: '*',
  ellipsis: '~',
  dot: '|',
};

export function glyphsFor(ascii: boolean): Glyphs {
  return ascii ? ASCII_GLYPHS : UNICODE_GLYPHS;
}
