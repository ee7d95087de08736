/** Number formatting for text output (pure). Unknown prints as `n/a`, never 0. */

import { termSafe, textWidth } from './text-width.js';

export const NA = 'n/a';

/** Fixed digits, and never "-0.0": a value that rounds to zero is written as zero. */
export function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

export function fmtNum(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : fixed(v, digits);
}

/**
 * Watts, keeping mW precision where it matters (±1 W is ±7 % at 15 W on an edge board). `compact`
 * (the dashboard's narrow columns): one decimal below 100 W, none above. Unknown is `n/a`.
 */
export function fmtWatts(v: number | null | undefined, style: 'full' | 'compact' = 'full'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  const digits = style === 'compact' ? (v < 100 ? 1 : 0) : v < 100 ? 2 : 1;
  return `${fixed(v, digits)} W`;
}

export function fmtJoules(v: number | null | undefined): string {
  if (v === null || v === undefined) return NA;
  return Math.abs(v) >= 10000 ? `${fixed(v / 1000, 2)} kJ` : `${fixed(v, 1)} J`;
}

export function fmtSeconds(v: number | null | undefined): string {
  return v === null || v === undefined ? NA : `${fixed(v, v < 10 ? 3 : 1)} s`;
}

export function fmtBytes(v: number | null | undefined): string {
  if (v === null || v === undefined) return NA;
  const gib = v / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(2)} GiB`;
  return `${(v / 1024 ** 2).toFixed(0)} MiB`;
}

export function fmtPercent(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined ? NA : `${(v * 100).toFixed(digits)}%`;
}

/** Pads cells into aligned columns (in terminal cells: CJK file names line up); the first row is the header. */
export function table(rows: readonly (readonly string[])[], rightAlign: readonly boolean[] = []): string {
  const cells = rows.map((r) => r.map(termSafe));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, textWidth(c))));
  const pad = (c: string, i: number) => {
    const fill = ' '.repeat(widths[i] - textWidth(c));
    return rightAlign[i] ? fill + c : c + fill;
  };
  return cells.map((r) => r.map(pad).join('  ').trimEnd()).join('\n');
}

/** A clock: mm:ss, or h:mm:ss from an hour (whole seconds, rounded down); `--:--` when unknown. */
export function fmtClock(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`;
}

/** A GPU read through sysfs only while it sleeps: `suspended (D3cold)` → `asleep (D3cold), not woken`. */
export function asleepLine(pmState: string): string {
  const m = /^(suspended|suspending)\s*(?:\((\w+)\))?$/.exec(pmState);
  return m ? `asleep (${m[2] ?? m[1]}), not woken` : `${pmState}: waking`;
}
