/** Fitting text into terminal columns (pure), measured in cells (text-width.ts). */
import { takeWidth, takeWidthEnd, textWidth } from '../src/text/text-width.js';

/** Truncates to `width` (with an ellipsis when cut) — never wider than the terminal. */
export function clip(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  const e = textWidth(ellipsis);
  if (width <= e) return takeWidth(s, width);
  return takeWidth(s, width - e) + ellipsis;
}

/** Keeps the end of `s` (file names: the distinguishing part is at the end). */
export function clipStart(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  const e = textWidth(ellipsis);
  if (width <= e) return takeWidthEnd(s, width);
  return ellipsis + takeWidthEnd(s, width - e);
}

/** Exactly `width` cells: cut, then padded (a cut wide character leaves a space). */
export function padRight(s: string, width: number): string {
  const t = textWidth(s) > width ? takeWidth(s, width) : s;
  return t + ' '.repeat(Math.max(0, width - textWidth(t)));
}

export function padLeft(s: string, width: number): string {
  const t = textWidth(s) > width ? takeWidth(s, width) : s;
  return ' '.repeat(Math.max(0, width - textWidth(t))) + t;
}

/** A section rule: `── title ────…` exactly `width` wide. */
export function rule(title: string, width: number, ch: string): string {
  const head = `${ch}${ch} ${title} `;
  const w = textWidth(head);
  if (w >= width) return padRight(clip(head, width), width);
  return head + ch.repeat(width - w);
}

/** Joins parts with two spaces, dropping trailing parts that do not fit. */
export function joinFit(parts: readonly string[], width: number, sep = '  '): string {
  let s = '';
  for (const p of parts) {
    if (!p) continue;
    const next = s ? s + sep + p : p;
    if (textWidth(next) > width) break;
    s = next;
  }
  return s || clip(parts.find(Boolean) ?? '', width);
}
