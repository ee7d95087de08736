/**
 * The dashboard (Ink) around a live source: monitoring, a run given on the command line, or the demo
 * when no GPU is found. After `q`, each run's summary and recording path stay in the terminal.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunSpec } from '../dashboard/live-source.js';
import type { SessionFlags } from './flags.js';
import { termSafe } from '../text/text-width.js';
import { leaveAltScreen } from '../dashboard/alt-screen.js';

/** True when the dashboard should open: terminals, no CI, no --plain, TERM not dumb. */
export async function dashboardWanted(plain: boolean | undefined): Promise<boolean> {
  const { plainReason } = await import('../dashboard/terminal.js');
  return plainReason({ stdinTTY: Boolean(process.stdin.isTTY), stdoutTTY: Boolean(process.stdout.isTTY), env: process.env, plain }) === null;
}

export interface DashboardPlan {
  initial: RunSpec | null;
  simulateIfNoGpu: boolean;
  monitorRecord: string | null;
  /** No GPU found: run the bundled demo on the simulated GPU (the default command). */
  demoIfNoGpu: boolean;
  /** The demo's image count and recording (bare `genwatt`: --count, --record, --no-record). */
  demo?: { count: number; record: string | null; idleSeconds: number };
}

/** Signals quit the dashboard the way `q` does: the run is stopped and its recording finished. */
export function quitOnSignals(quit: () => void): void {
  let n = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => {
      if (++n > 1) process.exit(130);
      quit();
    });
}

export async function runDashboard(f: SessionFlags, plan: DashboardPlan): Promise<number> {
  const { useAscii, useColor } = await import('../dashboard/terminal.js');
  const { drawFirstFrame } = await import('../dashboard/first-frame.js');
  drawFirstFrame(process.stdout, { ascii: useAscii(process.env, f.ascii), color: useColor(process.env, f.color), mode: plan.initial?.mode ?? 'monitor' });
  const [{ LiveSource }, { DashboardController }, { mountDashboard }, { NoGpuError }, { demoPreset, loadPresets, presetArgv }] = await Promise.all([
    import('../dashboard/live-source.js'),
    import('../dashboard/controller.js'),
    import('../dashboard/ink-host.js'),
    import('../measure/measure-session.js'),
    import('../backends/presets.js'),
  ]);
  const source = new LiveSource({
    probes: f.probes,
    intervalMs: f.intervalMs,
    warmupBatches: f.warmupBatches,
    batchGapMs: f.batchGapMs,
    cwd: process.cwd(),
    recordDir: resolve('genwatt-sessions'),
    simulateIfNoGpu: plan.simulateIfNoGpu || plan.demoIfNoGpu,
    tags: f.tags,
    counterIntervalMs: f.counterIntervalMs,
    blankCheck: f.blankCheck,
    entropyAll: f.entropyAll,
    killAfterMs: f.killAfterMs,
    gpu: f.gpu,
    simGpus: f.simGpus,
    simNoProcessList: f.simNoProcessList,
    meters: f.meters,
  });
  const demoOut = () => mkdtempSync(join(tmpdir(), 'genwatt-demo-'));
  const demoRun = async (): Promise<RunSpec> => {
    const d = plan.demo;
    const p = demoPreset(demoOut(), d?.count ?? 10);
    const { defaultRecordPath } = await import('../session/recorder.js');
    const record = d ? d.record : defaultRecordPath(resolve('genwatt-sessions'), 'demo');
    return {
      mode: 'demo',
      label: 'bundled demo generator',
      argv: presetArgv(p, p.count),
      cwd: p.cwd,
      outDir: p.out,
      count: p.count,
      idleSeconds: d?.idleSeconds ?? 2,
      timeoutMs: null,
      record,
      tags: { ...f.tags, ...p.tags },
      removeOutDir: true,
    };
  };
  try {
    await source.start(plan.initial, { monitorRecord: plan.monitorRecord, demoIfSimulated: plan.demoIfNoGpu ? demoRun : undefined });
  } catch (err) {
    leaveAltScreen(); // the first frame's screen goes: what went wrong stays readable
    if (!(err instanceof NoGpuError)) throw err;
    process.stderr.write(`genwatt: ${err.message}\n`);
    return 1;
  }
  const controller = new DashboardController(source, { ascii: useAscii(process.env, f.ascii), color: useColor(process.env, f.color) });
  const mounted = await mountDashboard(controller, { stdout: process.stdout, stdin: process.stdin, altScreen: true });
  quitOnSignals(() => controller.quitNow());
  // The config is read after the first frame: its parser and validator are not on the start-up path.
  // The built-in demo preset's folder is made when it runs (the generator makes it) and removed after.
  loadPresets(process.cwd())
    .then((load) => controller.setPresets(load, [demoPreset(join(tmpdir(), `genwatt-demo-${process.pid}-${Date.now()}`))]))
    .catch((err: unknown) => controller.setStatus(`config: ${(err as Error).message}`, 15000));
  await mounted.done;
  if (controller.quitError) process.stderr.write(`${termSafe(`genwatt: finishing the session failed: ${controller.quitError.message}`)}\n`);
  return printResults(source.results());
}

/** What stays in the terminal after the dashboard closes; the exit code of the last run. */
async function printResults(results: import('../measure/measure-session.js').SessionResult[]): Promise<number> {
  const { summaryText } = await import('../report/report-text.js');
  for (const r of results) {
    if (r.doc.run.mode !== 'monitor' || r.rows.length)
      process.stdout.write(
        `${r.doc.run.mode} ${r.doc.run.argv ? r.doc.run.argv.join(' ') : ''}\n${summaryText(
          r.summary,
          r.doc.devices.some((d) => d.simulated),
        )}\n`,
      );
    if (r.doc.run.exit?.message && r.doc.run.exit.reason !== 'exited' && r.doc.run.exit.reason !== 'stopped')
      process.stderr.write(`genwatt: ${r.doc.run.exit.message}\n`);
    if (r.stderrTail.length) process.stderr.write(`genwatt: the command's last lines on stderr:\n${r.stderrTail.map((l) => `  | ${l}\n`).join('')}`);
    if (r.error) process.stderr.write(`genwatt: ${r.error}\n`);
    if (r.recordFile) process.stdout.write(`session recorded to ${r.recordFile}\n\n`);
    else if (r.journalFile) process.stdout.write(`session journal kept at ${r.journalFile}\n\n`);
  }
  const lastRun = [...results].reverse().find((r) => r.doc.run.mode !== 'monitor');
  return lastRun ? lastRun.exitCode : 0;
}
