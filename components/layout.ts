/**
 * Screen layout (pure): how many lines each section gets for a terminal size and device count.
 * The frame is one line shorter than the terminal, so Ink redraws in place instead of clearing the
 * screen at every frame (it does that when the output fills the terminal). The status line and the
 * key hints each have their own line, always.
 */

export type DeviceMode = 'full' | 'focus' | 'compact';

export interface Layout {
  /** Lines the whole frame uses. */
  height: number;
  width: number;
  /** Below the smallest usable size: the frame only says so (and keeps the key facts). */
  tooSmall: boolean;
  deviceMode: DeviceMode;
  /** Text rows of the power chart in a full device panel (1 = a one-line sparkline). */
  chartRows: number;
  /** Compact device rows shown (the rest are summarised as "+N more"). */
  compactRows: number;
  /** Image rows in the table. */
  tableRows: number;
  /** Run panel lines (without its rule). */
  runLines: number;
}

export const HEADER_LINES = 2;
/** The status line and the key hints. */
export const FOOTER_LINES = 2;
/** Rule + power line + chart + VRAM line, with a one-row chart. */
export const FULL_PANEL_BASE = 3;
/** The smallest terminal the dashboard draws in; below it, it says so. */
export const MIN_COLS = 40;
export const MIN_ROWS = 12;
/** Tallest power chart. */
const MAX_CHART_ROWS = 24;

/**
 * @param imageRows images there are to show (the table takes what it needs; the charts get the rest).
 */
export function planLayout(cols: number, rows: number, deviceCount: number, imageRows = Infinity): Layout {
  // Tiny terminals get a clipped frame, never one larger than the terminal.
  const width = Math.max(1, cols);
  const height = Math.max(1, rows - 1);
  const tooSmall = cols < MIN_COLS || rows < MIN_ROWS;
  // A short terminal keeps one run line so at least one image row shows.
  const runLines = height >= 30 ? 3 : height >= 15 ? 2 : 1;
  const fixed = HEADER_LINES + FOOTER_LINES + (1 + runLines);
  const minTable = 2 + Math.min(2, Math.max(0, height - fixed - 6));
  let avail = height - fixed - minTable;
  const n = Math.max(1, deviceCount);
  let deviceMode: DeviceMode;
  let chartRows = 1;
  let compactRows = 0;
  let used: number;
  if (n * (FULL_PANEL_BASE + 1) <= avail) {
    deviceMode = 'full';
    const spare = avail - n * (FULL_PANEL_BASE + 1);
    // The table gets the lines its images need, up to half of what is left; the charts get the
    // rest, so a tall terminal shows taller charts, not blank lines.
    const tableWants = Math.max(0, imageRows + 2 - minTable);
    const forCharts = spare - Math.min(tableWants, Math.ceil(spare / 2));
    chartRows = Math.max(1, Math.min(MAX_CHART_ROWS, 1 + Math.floor(forCharts / n)));
    used = n * (FULL_PANEL_BASE + chartRows);
  } else if (FULL_PANEL_BASE + 1 + 1 + (n - 1) <= avail) {
    deviceMode = 'focus';
    compactRows = n - 1;
    used = FULL_PANEL_BASE + 1 + 1 + compactRows;
  } else {
    deviceMode = 'compact';
    avail = Math.max(2, avail);
    compactRows = Math.min(n, avail - 1);
    used = 1 + compactRows + (compactRows < n ? 1 : 0);
  }
  const tableRows = Math.max(0, height - fixed - used - 1);
  return { height, width, tooSmall, deviceMode, chartRows, compactRows, tableRows, runLines };
}
