/**
 * Mounts the dashboard with Ink and redraws it at most `fps` times a second: sources only mark
 * the frame dirty, so sampling never waits for drawing. Uses the terminal's alternate screen (like
 * top and nvtop) and restores it on every way out. Ink's incremental mode left stale lines in
 * tmux here (6.8), so every frame is redrawn whole: about 2 KB at 80×24.
 */
import type { DashboardController } from './controller.js';

export interface HostOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Switch to the alternate screen (real terminals). */
  altScreen: boolean;
  /** Most redraws per second (default 4). */
  fps?: number;
  /** Write every frame whole (tests). */
  debug?: boolean;
}

const ENTER_ALT = '\x1b[?1049h\x1b[H';
const LEAVE_ALT = '\x1b[?1049l';

export interface MountedDashboard {
  /** Resolves once the user quit and the source is closed. */
  done: Promise<void>;
  /** Redraws now (tests). */
  redraw(): void;
  frames(): number;
}

export async function mountDashboard(controller: DashboardController, o: HostOptions): Promise<MountedDashboard> {
  const [{ render }, { createElement }, { Dashboard }] = await Promise.all([import('ink'), import('react'), import('../../components/Dashboard.js')]);
  const out = o.stdout;
  const keys = Boolean(o.stdin.isTTY && typeof (o.stdin as { setRawMode?: unknown }).setRawMode === 'function');
  const size = () => ({ width: out.columns || 80, height: out.rows || 24 });
  const onKey = (input: string, key: Parameters<DashboardController['key']>[1]) => controller.key(input, key);
  const element = () => {
    const { width, height } = size();
    return createElement(Dashboard, { view: controller.view(width, height), onKey, keys });
  };
  let left = false;
  const leave = () => {
    if (left || !o.altScreen) return;
    left = true;
    try {
      out.write(LEAVE_ALT);
    } catch {
      // terminal gone
    }
  };
  if (o.altScreen) {
    out.write(ENTER_ALT);
    process.once('exit', leave);
  }
  const instance = render(element(), { stdout: out, stdin: o.stdin, exitOnCtrlC: false, patchConsole: false, maxFps: o.fps ?? 4, incrementalRendering: false, debug: Boolean(o.debug) });
  let frames = 1;
  let dirty = false;
  let lastDraw = Date.now();
  const redraw = () => {
    dirty = false;
    lastDraw = Date.now();
    frames++;
    instance.rerender(element());
  };
  const mark = () => (dirty = true);
  controller.on('change', mark);
  controller.source.on('change', mark);
  out.on('resize', mark);
  const periodMs = 1000 / (o.fps ?? 4);
  // Redraw when something changed, and at least once a second (the sparklines move with time).
  const timer = setInterval(() => {
    if (dirty || Date.now() - lastDraw >= 1000) redraw();
  }, periodMs);
  const done = new Promise<void>((resolve) => {
    controller.once('quit', () => {
      clearInterval(timer);
      controller.off('change', mark);
      controller.source.off('change', mark);
      out.off('resize', mark);
      try {
        redraw();
        instance.unmount();
      } catch {
        // a dropped terminal must not keep genwatt from finishing
      }
      leave();
      resolve();
    });
  });
  return { done, redraw, frames: () => frames };
}
