/**
 * The terminal's alternate screen, entered once and left once, whoever enters it first (the first
 * frame drawn before Ink loads, then the Ink host): leaving twice would restore a saved cursor over
 * the summary printed after the dashboard. Errors leave it before they are written, or they vanish
 * with it.
 */
import { rawOutput } from '../text/output-guard.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H';
const LEAVE_ALT = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';
const HIDE_CURSOR = '\x1b[?25l';

let active: NodeJS.WriteStream | null = null;

export function enterAltScreen(out: NodeJS.WriteStream): void {
  if (active) return;
  active = out;
  raw(out, ENTER_ALT + HIDE_CURSOR);
}

/** Back to the normal screen, cursor shown; nothing when not on the alternate screen. */
export function leaveAltScreen(): void {
  const out = active;
  if (!out) return;
  active = null;
  try {
    raw(out, LEAVE_ALT + SHOW_CURSOR);
  } catch {
    // the terminal is gone
  }
}

/** The escapes themselves pass the output guard (every other write is made printable). */
function raw(out: NodeJS.WriteStream, s: string): void {
  rawOutput(true);
  try {
    out.write(s);
  } finally {
    rawOutput(false);
  }
}
