/**
 * The dashboard's first frame, drawn before Ink and React load (0.35–0.45 s on a 2-vCPU VM): the
 * same pure components draw a "starting" view straight to the terminal, and Ink redraws over it
 * once devices are detected. A user sees genwatt at once, not a blank terminal.
 */
import { hostname } from 'node:os';
import { styledLine } from '../../components/ansi.js';
import { frameLines } from '../../components/frame.js';
import type { DashboardView } from '../../components/view-model.js';
import { genwattVersion } from '../package-info.js';
import { rawOutput } from '../text/output-guard.js';
import { enterAltScreen } from './alt-screen.js';

export function startingView(o: { width: number; height: number; ascii: boolean; color: boolean; mode: string }): DashboardView {
  const now = 0;
  return {
    width: o.width,
    height: o.height,
    ascii: o.ascii,
    color: o.color,
    header: {
      host: hostname(),
      version: genwattVersion(),
      probes: 'detecting devices…',
      recordFile: null,
      recording: false,
      banner: null,
      hostCpuPercent: undefined,
      hostRamUsedBytes: undefined,
    },
    run: { mode: o.mode, label: '', state: 'starting', imagesDone: 0, target: null, elapsedSeconds: null, progress: null },
    devices: [],
    focused: 0,
    windowFromMs: now - 10_000,
    windowToMs: now,
    holdMs: 500,
    runStartMs: null,
    nowMs: now,
    summary: null,
    idleWatts: null,
    rows: [],
    energyMethod: null,
    overlay: 'none',
    launcher: { presets: [], selected: 0, count: null, source: '', error: null, disabled: [] },
    replay: null,
    status: 'starting: loading the dashboard and detecting devices…',
  };
}

/** Enters the alternate screen and draws the starting frame (a terminal only). */
export function drawFirstFrame(out: NodeJS.WriteStream, o: { ascii: boolean; color: boolean; mode: string }): void {
  const v = startingView({ width: out.columns || 80, height: out.rows || 24, ...o });
  const text = frameLines(v)
    .map((l) => styledLine(l, o.color))
    .join('\r\n');
  rawOutput(true);
  try {
    enterAltScreen(out);
    out.write(text);
  } finally {
    rawOutput(false);
  }
}
