/**
 * Bare `genwatt` (what `npm start` runs): the dashboard monitoring every GPU, or the bundled demo on
 * the simulated GPU when none is found. `--count`, `--idle`, `--record` and `--no-record` apply to
 * that demo; with a GPU, `--record FILE` records the monitoring.
 */
import { dashboardWanted, runDashboard } from './dashboard.js';
import { DEFAULT_DEMO_IMAGES, demoCommand } from './demo.js';
import type { SessionFlags } from './flags.js';
import { measureCommand, recordPath } from './measure.js';

export async function defaultCommand(f: SessionFlags): Promise<number> {
  const images = f.count ?? DEFAULT_DEMO_IMAGES;
  if (!f.json && (await dashboardWanted(f.plain))) {
    const monitorRecord = f.record !== undefined && f.record !== 'default' && f.record !== 'none' ? f.record.file : null;
    const demo = { count: images, record: await recordPath(f.record, 'demo', true), idleSeconds: f.idleSeconds ?? 2 };
    return runDashboard(f, { initial: null, simulateIfNoGpu: false, monitorRecord, demoIfNoGpu: true, demo });
  }
  // Plain: monitor the GPUs, or the demo when there are none.
  return measureCommand(f, {
    mode: 'monitor',
    argv: null,
    outDir: null,
    defaultIdleSeconds: 0,
    defaultRecord: false,
    onNoGpu: () => {
      process.stderr.write('genwatt: no GPU found: running the bundled demo on a simulated GPU\n');
      return demoCommand({ ...f, count: null }, images);
    },
  });
}
