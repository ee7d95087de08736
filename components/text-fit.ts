/** Fitting text into terminal columns (pure). The dashboard's own strings are single-width. */

/** Truncates to `width` (with an ellipsis when cut) — never wider than the terminal. */
export function clip(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  if (width <= ellipsis.length) return s.slice(0, width);
  return s.slice(0, width - ellipsis.length) + ellipsis;
}

/** Keeps the end of `s` (file names: the distinguishing part is at the end). */
export function clipStart(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  if (width <= ellipsis.length) return s.slice(s.length - width);
  return ellipsis + s.slice(s.length - (width - ellipsis.length));
}

export function padRight(s: string, width: number): string {
  return s.length >= width ? s.slice(0, width) : s + ' '.repeat(width - s.length);
}

export function padLeft(s: string, width: number): string {
  return s.length >= width ? s.slice(0, width) : ' '.repeat(width - s.length) + s;
}

/** A section rule: `── title ────…` exactly `width` wide. */
export function rule(title: string, width: number, ch: string): string {
  const head = `${ch}${ch} ${title} `;
  if (head.length >= width) return clip(head, width);
  return head + ch.repeat(width - head.length);
}

/** Joins parts with two spaces, dropping trailing parts that do not fit. */
export function joinFit(parts: readonly string[], width: number, sep = '  '): string {
  let s = '';
  for (const p of parts) {
    if (!p) continue;
    const next = s ? s + sep + p : p;
    if (next.length > width) break;
    s = next;
  }
  return s || clip(parts.find(Boolean) ?? '', width);
}
