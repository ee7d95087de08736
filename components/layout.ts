/**
 * Screen layout (pure): how many lines each section gets for a terminal size and device count.
 * The frame is one line shorter than the terminal, so Ink redraws in place instead of clearing the
 * screen at every frame (it does that when the output fills the terminal).
 */

export type DeviceMode = 'full' | 'focus' | 'compact';

export interface Layout {
  /** Lines the whole frame uses. */
  height: number;
  width: number;
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
export const FOOTER_LINES = 1;
/** Rule + power line + chart + VRAM line, with a one-row chart. */
export const FULL_PANEL_BASE = 3;

export function planLayout(cols: number, rows: number, deviceCount: number): Layout {
  // Tiny terminals get a clipped frame, never one larger than the terminal.
  const width = Math.max(1, cols);
  const height = Math.max(1, rows - 1);
  const runLines = height >= 30 ? 3 : 2;
  const fixed = HEADER_LINES + FOOTER_LINES + (1 + runLines);
  const minTable = 2 + Math.min(3, Math.max(0, height - fixed - 6));
  let avail = height - fixed - minTable;
  const n = Math.max(1, deviceCount);
  let deviceMode: DeviceMode;
  let chartRows = 1;
  let compactRows = 0;
  let used: number;
  if (n * (FULL_PANEL_BASE + 1) <= avail) {
    deviceMode = 'full';
    const spare = avail - n * (FULL_PANEL_BASE + 1);
    // Taller charts take at most a third of the spare room; the table gets the rest.
    chartRows = Math.max(1, Math.min(6, 1 + Math.floor(spare / 3 / n)));
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
  return { height, width, deviceMode, chartRows, compactRows, tableRows, runLines };
}
