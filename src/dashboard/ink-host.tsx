/**
 * Mounts the dashboard with Ink and redraws it when the redraw gate says (redraw-gate.ts): sources
 * only mark the frame dirty, so sampling never waits for drawing. Uses the terminal's alternate screen (like
 * top and nvtop) and restores it on every way out. Ink's incremental mode left stale lines in
 * tmux here (6.8), so every frame is redrawn whole: about 2 KB at 80×24.
 */
import type { DashboardController } from './controller.js';
import { loadInk } from './load-ink.js';
import { startHeapTrim } from './heap-trim.js';
import { RedrawGate } from './redraw-gate.js';
import { rawOutput } from '../text/output-guard.js';
import { enterAltScreen, leaveAltScreen } from './alt-screen.js';
import { timelineNow } from '../../probes/timeline.js';

export interface HostOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Switch to the alternate screen (real terminals). */
  altScreen: boolean;
  /** Most redraws per second, for keys and resizes (default 4). */
  fps?: number;
  /** Most redraws per second caused by new data alone (default 2). */
  dataFps?: number;
  /** Write every frame whole (tests). */
  debug?: boolean;
}

export interface MountedDashboard {
  /** Resolves once the user quit and the source is closed. */
  done: Promise<void>;
  /** Redraws now (tests). */
  redraw(): void;
  frames(): number;
}

export async function mountDashboard(controller: DashboardController, o: HostOptions): Promise<MountedDashboard> {
  const [{ render }, { createElement }, { Dashboard }] = await loadInk();
  const out = o.stdout;
  const keys = Boolean(o.stdin.isTTY && typeof (o.stdin as { setRawMode?: unknown }).setRawMode === 'function');
  const size = () => ({ width: out.columns || 80, height: out.rows || 24 });
  const onKey = (input: string, key: Parameters<DashboardController['key']>[1]) => controller.key(input, key);
  const element = () => {
    const { width, height } = size();
    return createElement(Dashboard, { view: controller.view(width, height), onKey, keys });
  };
  const leave = () => {
    if (o.altScreen) leaveAltScreen();
  };
  // The frames carry Ink's escape sequences, drawn from text made printable (text-width.ts).
  rawOutput(true);
  if (o.altScreen) {
    // Already there when the first frame was drawn before Ink loaded (first-frame.ts).
    enterAltScreen(out);
    process.once('exit', leave);
  }
  const instance = render(element(), {
    stdout: out,
    stdin: o.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: o.fps ?? 4,
    incrementalRendering: false,
    debug: Boolean(o.debug),
  });
  let frames = 1;
  const now = timelineNow;
  const gate = new RedrawGate(now(), o.fps ?? 4, o.dataFps ?? 2);
  // Stopped by Ctrl-Z: no frame until `fg` is back on the alternate screen (overdue timers fire first).
  let suspended = false;
  const redraw = () => {
    if (suspended) return;
    gate.drawn(now());
    frames++;
    instance.rerender(element());
  };
  // One timeout, armed for the next frame that is due (gate.waitMs): no wake-up that draws nothing.
  let timer: NodeJS.Timeout | undefined;
  let timerAtMs = Infinity;
  const arm = () => {
    if (timerAtMs === -Infinity) return; // quit
    const t = now();
    const at = t + gate.waitMs(t);
    if (timer && at >= timerAtMs) return;
    if (timer) clearTimeout(timer);
    timerAtMs = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAtMs = Infinity;
      // Monitoring redraws new samples once a second, a run twice.
      gate.setDataFps(controller.source.running?.() ? (o.dataFps ?? 2) : Math.min(1, o.dataFps ?? 2));
      if (gate.due(now())) redraw();
      arm();
    }, at - t);
  };
  const markData = () => {
    gate.markData();
    arm();
  };
  const markUi = () => {
    gate.markUi();
    arm();
  };
  controller.on('change', markUi);
  controller.source.on('change', markData);
  out.on('resize', markUi);
  arm();
  const stopTrim = startHeapTrim();
  // Ctrl-Z (raw mode delivers it as a key): the terminal back as it was, then stop like any job; on
  // `fg` (SIGCONT) the alternate screen and raw mode again, and the whole frame redrawn.
  const suspend = () => {
    const stdin = o.stdin as NodeJS.ReadStream & { setRawMode?: (on: boolean) => void };
    try {
      if (o.altScreen) leaveAltScreen();
      else out.write('\x1b[?25h');
      if (keys) stdin.setRawMode?.(false);
    } catch {
      // terminal gone: nothing to hand back
    }
    suspended = true;
    process.once('SIGCONT', () => {
      suspended = false;
      try {
        if (keys) stdin.setRawMode?.(true);
        if (o.altScreen) enterAltScreen(out);
        instance.clear();
      } catch {
        // terminal gone
      }
      redraw();
    });
    process.kill(process.pid, 'SIGTSTP');
  };
  controller.on('suspend', suspend);
  const done = new Promise<void>((resolve) => {
    controller.once('quit', () => {
      clearTimeout(timer);
      timerAtMs = -Infinity; // no timer is armed again
      stopTrim();
      controller.off('change', markUi);
      controller.off('suspend', suspend);
      controller.source.off('change', markData);
      out.off('resize', markUi);
      try {
        redraw();
        instance.unmount();
      } catch {
        // a dropped terminal must not keep genwatt from finishing
      }
      leave();
      rawOutput(false);
      resolve();
    });
  });
  return { done, redraw, frames: () => frames };
}
