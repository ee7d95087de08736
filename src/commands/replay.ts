/** `genwatt replay FILE`: a recording played through the dashboard; without a terminal, its report. */
import { dashboardWanted, quitOnSignals } from './dashboard.js';
import { UsageError } from './flags.js';

export interface ReplayFlags {
  file: string;
  speed: number;
  plain: boolean;
  color: boolean | undefined;
  ascii: boolean | undefined;
}

export async function replayCommand(f: ReplayFlags): Promise<void> {
  if (!(f.speed > 0) || !Number.isFinite(f.speed)) throw new UsageError(`--speed must be a positive number, got ${f.speed}`);
  const { readSession } = await import('../session/reader.js');
  const dashboard = await dashboardWanted(f.plain);
  // A long recording takes seconds to read: say so on the terminal rather than show nothing.
  if (dashboard) process.stderr.write(`genwatt: loading ${f.file}…\n`);
  const loaded = await readSession(f.file);
  if (!dashboard) {
    const { reportText } = await import('../report/report-text.js');
    process.stdout.write(reportText([loaded], {}, { images: true, widthCols: process.stdout.isTTY ? process.stdout.columns : undefined }));
    return;
  }
  const [{ ReplaySource }, { DashboardController }, { mountDashboard }, { useAscii, useColor }] = await Promise.all([
    import('../dashboard/replay-source.js'),
    import('../dashboard/controller.js'),
    import('../dashboard/ink-host.js'),
    import('../dashboard/terminal.js'),
  ]);
  const source = new ReplaySource(loaded, { speed: f.speed });
  const controller = new DashboardController(source, { ascii: useAscii(process.env, f.ascii), color: useColor(process.env, f.color) });
  // Loaded: it plays from the first frame (no frame says "paused" while nothing was paused).
  source.play();
  const mounted = await mountDashboard(controller, { stdout: process.stdout, stdin: process.stdin, altScreen: true });
  quitOnSignals(() => controller.quitNow());
  await mounted.done;
}
