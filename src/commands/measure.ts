/**
 * `genwatt run`, `watch`, `monitor` and `demo`: the dashboard when there is a terminal, else one
 * measured session with plain line output. Ctrl-C, SIGTERM and SIGHUP stop the generator and finish
 * the recording; a second signal leaves at once (the journal keeps what was recorded).
 */
import { resolve } from 'node:path';
import type { BackendConfig } from '../backends/backend-types.js';
import type { SessionMode } from '../session/types.js';
import { dashboardWanted, runDashboard } from './dashboard.js';
import { UsageError, type RecordChoice, type SessionFlags } from './flags.js';
import { GpuSelectError } from '../measure/gpu-select.js';

export interface MeasureCommand {
  mode: SessionMode;
  argv: string[] | null;
  backend?: BackendConfig;
  outDir: string | null;
  /** Idle baseline when --idle is not given. */
  defaultIdleSeconds: number;
  simulateIfNoGpu?: boolean;
  /** Record when neither --record nor --no-record is given. */
  defaultRecord: boolean;
  /** No GPU found: what to do instead (the bare command runs the demo). */
  onNoGpu?: () => Promise<number>;
  /** A folder genwatt made for this session (the demo's): removed when the session ends. */
  removeOutDir?: boolean;
  /** Images the generator was asked for (shown as n/N). */
  expectedImages?: number;
}

/** The recording file for a session of `mode`, or null for none. */
export async function recordPath(choice: RecordChoice, mode: string, defaultRecord: boolean): Promise<string | null> {
  if (choice === 'none') return null;
  if (choice !== undefined && choice !== 'default') return choice.file;
  if (choice === undefined && !defaultRecord) return null;
  const { defaultRecordPath } = await import('../session/recorder.js');
  return defaultRecordPath(resolve('genwatt-sessions'), mode);
}

/** The recording can be written: checked before anything starts (exit 2 with the path and why). */
export async function checkRecording(file: string): Promise<void> {
  const { checkRecordFile, RecordTargetError } = await import('../session/record-target.js');
  try {
    checkRecordFile(file);
  } catch (err) {
    if (err instanceof RecordTargetError) throw new UsageError(`--record: ${err.message}`);
    throw err;
  }
}

/** The dashboard's run label: backend, command words, or the watched folder. */
function runLabel(c: MeasureCommand): string {
  if (c.backend) return `${c.backend.kind} ${c.backend.url}`;
  if (c.argv) return c.argv.map((x) => x.split('/').pop()).join(' ');
  return `watching ${c.outDir}`;
}

export async function measureCommand(f: SessionFlags, c: MeasureCommand): Promise<number> {
  const record = await recordPath(f.record, c.mode, c.defaultRecord);
  if (record) await checkRecording(record);
  // A run that cannot start: one line, before any dashboard, idle baseline or recording.
  const { checkCommand, checkOutDir, RunNotStartedError } = await import('../measure/preflight.js');
  try {
    if (c.mode !== 'monitor' && c.outDir) checkOutDir(c.outDir);
    if (c.mode !== 'monitor' && c.argv) checkCommand(c.argv[0], process.cwd());
  } catch (err) {
    if (!(err instanceof RunNotStartedError)) throw err;
    process.stderr.write(`genwatt: ${err.message}; nothing was measured or recorded\n`);
    return err.exitCode;
  }
  const idleSeconds = f.idleSeconds ?? c.defaultIdleSeconds;
  if (!f.json && (await dashboardWanted(f.plain))) {
    const initial =
      c.mode === 'monitor'
        ? null
        : {
            mode: c.mode,
            label: runLabel(c),
            argv: c.argv,
            backend: c.backend,
            outDir: c.outDir,
            count: f.count,
            idleSeconds,
            timeoutMs: f.timeoutMs,
            record,
            tags: f.tags,
            removeOutDir: c.removeOutDir,
            expectedImages: c.expectedImages,
          };
    return runDashboard(f, { initial, simulateIfNoGpu: Boolean(c.simulateIfNoGpu), monitorRecord: c.mode === 'monitor' ? record : null, demoIfNoGpu: false });
  }
  const [{ MeasureSession, NoGpuError }, { RecordingExistsError }, { attachPlain }] = await Promise.all([
    import('../measure/measure-session.js'),
    import('../session/recorder.js'),
    import('./plain-output.js'),
  ]);
  const session = new MeasureSession({
    mode: c.mode,
    probes: f.probes,
    intervalMs: f.intervalMs,
    idleSeconds,
    warmupBatches: f.warmupBatches,
    blankCheck: f.blankCheck,
    entropyAll: f.entropyAll,
    batchGapMs: f.batchGapMs,
    count: f.count,
    timeoutMs: f.timeoutMs,
    outDir: c.outDir,
    argv: c.argv,
    backend: c.backend,
    cwd: process.cwd(),
    tags: f.tags,
    record,
    simulateIfNoGpu: c.simulateIfNoGpu,
    counterIntervalMs: f.counterIntervalMs,
    gpu: f.gpu,
    simGpus: f.simGpus,
    simNoProcessList: f.simNoProcessList,
    meters: f.meters,
    killAfterMs: f.killAfterMs,
    removeOutDir: c.removeOutDir,
    expectedImages: c.expectedImages,
  });
  try {
    session.preflight();
    await session.detect();
    session.checkGpus();
  } catch (err) {
    if (err instanceof GpuSelectError) {
      await session.dispose();
      throw new UsageError(err.message);
    }
    if (err instanceof RunNotStartedError) {
      process.stderr.write(`genwatt: ${err.message}; nothing was measured or recorded\n`);
      return err.exitCode;
    }
    if (!(err instanceof NoGpuError)) throw err;
    if (c.onNoGpu) return c.onNoGpu();
    process.stderr.write(`genwatt: ${err.message}\n`);
    return 1;
  }
  const end = attachPlain(session, { json: f.json, out: process.stdout, err: process.stderr, showChildOutput: f.showOutput });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // The second: the command is killed now and the recording still finished; the third: genwatt leaves.
    if (++signals === 2 && session.killGenerator()) return;
    if (signals > 1) {
      process.stderr.write(`genwatt: ${sig} again: leaving now; the journal keeps what was recorded\n`);
      process.exit(130);
    }
    process.stderr.write(`genwatt: ${sig}: stopping${record ? ' and finishing the recording…' : ' (not recording)'}\n`);
    session.stop('interrupted');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  try {
    const result = await session.run();
    end(result);
    return result.exitCode;
  } catch (err) {
    await session.dispose();
    if (err instanceof RunNotStartedError) {
      process.stderr.write(`genwatt: ${err.message}; nothing was measured or recorded\n`);
      return err.exitCode;
    }
    if (!(err instanceof RecordingExistsError)) throw err;
    process.stderr.write(`genwatt: ${err.message}\n`);
    return 1;
  }
}
