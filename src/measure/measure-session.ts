/**
 * One measured session: a run, a watch or monitoring. The shared core (session-core.ts) samples the
 * devices; this adds the idle baseline before the run, the generator and the output watcher, batches →
 * per-image rows, and the ending. Every record enters through the core's `record` event, which the
 * recorder listens to; the CLI's plain output and the dashboard listen to the events below.
 *
 * Events: `state` (SessionState), `reading` (Reading), `gap` (Gap), `note` (Note), `image`
 * (ImageEvent), `rows` (ImageRow[]), `log` (LogLine), `waiting` (dir), `tags`, `progress`, `gpus` (ids), `end` (SessionResult).
 */
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import type { DeviceInfo } from '../../probes/types.js';
import type { BackendProgress } from '../backends/backend-types.js';
import type { IdleBaseline, ImageRow } from '../energy/image-rows.js';
import { recentSecondsPerImage, SessionRows } from './session-rows.js';
import { GeneratorLog } from './generator-log.js';
import { averageWindows } from '../energy/boxcar.js';
import { nothingMade } from './wrong-folder.js';
import type { ImageEvent } from '../images/batches.js';
import type { OutputWatcher } from '../images/watcher.js';
import { recorderFor } from '../session/record-listener.js';
import type { Recorder } from '../session/recorder.js';
import type { ChildExit, Note, ProbeReport, SessionOptions, StopReason } from '../session/types.js';
import { runInfo, type MeasureConfig } from './measure-config.js';
import { chargeNote, GpuCharge } from './gpu-charge.js';
import { openWatcher, settleWatcher } from './run-watcher.js';
import { ImageIntake } from './image-intake.js';
import { countCheck } from './server-facts.js';
import { resolveGpuList, restrictIdle } from './gpu-select.js';
import { isBackend, stopAndWait, type Generator } from './generator.js';
import { launchGenerator } from './launch-generator.js';
import { preflightRun } from './preflight.js';
import { RUN_COUNTER_INTERVAL_MS, SessionCore } from './session-core.js';
import type { MeasureSessionEvents, SessionState } from './session-events.js';
import { asUserStop, finishResult, sessionExitCode, type SessionResult } from './session-result.js';
import { timelineNow } from '../../probes/timeline.js';

export { NoGpuError } from './detect-devices.js';
export { RunNotStartedError } from './preflight.js';
export type { SessionResult } from './session-result.js';
export type { MeasureConfig } from './measure-config.js';
export type { SessionState } from './session-events.js';

export class MeasureSession extends EventEmitter<MeasureSessionEvents> {
  readonly core: SessionCore;
  idle: IdleBaseline | undefined;
  state: SessionState = 'detecting';
  runStartMs: number | null = null;
  readonly startedMs = timelineNow();
  recordFile: string | null = null;
  childExit: ChildExit | null = null;
  readonly options: SessionOptions;
  /** The server backend's progress (step x of y), when one drives the run. */
  progress: BackendProgress | null = null;
  private recorder: Recorder | undefined;
  private watcher: OutputWatcher | undefined;
  private generator: Generator | undefined;
  private readonly intake: ImageIntake;
  private readonly rowsOf: SessionRows;
  private timers: NodeJS.Timeout[] = [];
  private stopRequested: StopReason | null = null;
  private stopWaiters: (() => void)[] = [];
  private failure: string | undefined;
  /** The run's start on the wall clock (file times are the wall clock's). */
  private runStartWallMs = 0;
  private readonly gpuCharge: GpuCharge;
  /** Notes kept for a session that records nothing (the journal has them all); the generator's output. */
  readonly notes: Note[] = [];
  readonly generatorLog = new GeneratorLog();
  /** The run's tags: the user's, then what the server tells (the caller's config is never changed). */
  readonly tags: Record<string, string>;

  constructor(readonly config: MeasureConfig) {
    super();
    this.tags = { ...config.tags };
    this.core = new SessionCore({
      probes: config.probes,
      intervalMs: config.intervalMs,
      simulateIfNoGpu: config.simulateIfNoGpu,
      simGpus: config.simGpus,
      simNoProcessList: config.simNoProcessList,
      wakeSleeping: config.mode !== 'monitor',
      meters: config.meters,
      hostMemory: config.mode !== 'monitor',
    });
    this.options = this.core.sessionOptions({
      idleSeconds: config.idleSeconds,
      warmupBatches: config.warmupBatches,
      batchGapMs: config.batchGapMs,
      count: config.count,
    });
    this.rowsOf = new SessionRows(this.options, {
      idle: () => this.idle,
      rows: (rows) => {
        this.core.processWatch?.paceFor(recentSecondsPerImage(this.rowsOf.rows));
        this.emit('rows', rows);
      },
    });
    this.intake = new ImageIntake(
      {
        admit: (ev) => {
          this.core.record({ type: 'image', ...ev }, true);
          this.rowsOf.image(ev);
          this.emit('image', ev);
        },
        batch: (b) => this.closeBatch(b),
        countReached: () => this.stop('count'),
        note: (m) => this.note('genwatt', m),
        sweep: async () => void (await this.watcher?.sweep()),
      },
      { batchGapMs: config.batchGapMs, count: config.count, outDir: config.outDir },
    );
    this.gpuCharge = new GpuCharge(this.core, config, () => this.imagesSeen, this.onGpusDecided);
    this.core.on('reading', (r) => this.emit('reading', r));
    this.core.on('gap', (g) => this.emit('gap', g));
    this.core.on('note', (n) => {
      if (this.notes.length < 5000) this.notes.push(n);
      this.emit('note', n);
    });
  }

  get devices(): DeviceInfo[] {
    return this.core.devices;
  }

  get probeReports(): ProbeReport[] {
    return this.core.probeReports;
  }

  get timeline() {
    return this.core.timeline;
  }

  get version(): string {
    return this.core.version;
  }

  /** True when only the simulated GPU is measured. */
  get simulated(): boolean {
    return this.core.simulated;
  }

  get stopReason(): StopReason | null {
    return this.stopRequested;
  }

  private setState(s: SessionState): void {
    this.state = s;
    this.emit('state', s);
  }

  private note(source: string, message: string): void {
    this.core.note(source, message);
  }

  /** A run that cannot start says so before anything is measured or recorded (throws RunNotStartedError). */
  preflight(): void {
    preflightRun(this.config);
  }

  /** Detects devices. Throws NoGpuError when no GPU is found and none is simulated. */
  detect(): Promise<void> {
    return this.core.detect();
  }

  /** After detect: `--gpu` names GPUs that are here (throws GpuSelectError naming the ones there are). */
  checkGpus(): void {
    const c = this.config.gpu;
    if (c !== undefined && c !== 'auto') resolveGpuList(c, this.core.devices);
  }

  /** Releases detected probes of a session that will not run. */
  dispose(): Promise<void> {
    return this.core.dispose();
  }

  /** Runs the whole session to its end (count, child exit, stop(), timeout). */
  async run(): Promise<SessionResult> {
    const c = this.config;
    this.preflight();
    await this.detect();
    if (c.record) {
      this.recorder = recorderFor(this.core, c.record, (m) => this.note('recorder', m));
      this.recordFile = this.recorder.file;
    }
    const choice = this.gpuCharge.choose();
    const run = runInfo(c, this.tags, choice);
    this.core.record(this.core.header(this.startedMs, this.options, run), true);
    if (choice.note) this.note('genwatt', choice.note);
    if (c.mode !== 'monitor') {
      this.rowsOf.open({
        gpuIds: this.core.gpuIds,
        charged: choice.ids,
        hold: choice.pending,
        gapLimitMs: this.core.policy.gapLimitMs,
        batchGapMs: c.batchGapMs,
        averageWindows: averageWindows(this.core.devices),
        meters: this.core.meters,
      });
      if (choice.pending) this.gpuCharge.watchProcesses();
      this.core.on('reading', (r) => this.rowsOf.sample(r));
    }
    // The counter every 2 s and at the run's start and end and the idle window's end (a read costs
    // 4-5 ms of CPU on an H100, more under load): image edges lie between those reads, placed by instant
    // power (a GPU without instant power gets a read at every image's completion too). Monitoring
    // measures no image, so it does not read it at all unless --counter-interval asks.
    // Only the charged GPUs' counters are read (all of them until the generator's GPUs are known).
    if (choice.ids) this.core.counterDevices(choice.ids);
    this.core.startSampling(c.counterIntervalMs ?? (c.mode === 'monitor' ? Number.POSITIVE_INFINITY : RUN_COUNTER_INTERVAL_MS));
    try {
      await this.measureIdle();
      // The timeline keeps full samples only for the idle window; energy windows use the row stream.
      this.timers.push(setInterval(() => this.core.timeline.retainFrom(timelineNow() - 60000), 10000));
      if (!this.stopRequested && c.mode !== 'monitor') await this.startRun();
      else if (c.mode === 'monitor') {
        this.setState('running');
        this.stopAfter(c.timeoutMs);
      }
      await this.stopped();
    } catch (err) {
      this.stopRequested ??= 'error';
      this.note('genwatt', (err as Error).message);
      return this.finish((err as Error).message);
    }
    return this.finish();
  }

  /** The GPUs charged to this run (undefined: all, or not decided yet). */
  get charged(): string[] | undefined {
    return this.gpuCharge.charged;
  }

  /** The generator's GPUs are known (process lists): records and windows from here on use them. */
  private readonly onGpusDecided = (ids: string[], reason: string): void => {
    this.core.counterDevices(ids);
    this.core.record({ type: 'gpus', tMs: timelineNow(), ids, reason }, true);
    this.note('genwatt', chargeNote(ids, reason));
    if (this.idle) {
      this.idle = restrictIdle(this.idle, ids);
      this.core.record({ type: 'idle', ...this.idle }, true);
    }
    this.rowsOf.charge(ids);
    this.emit('gpus', ids);
  };

  private async measureIdle(): Promise<void> {
    const c = this.config;
    if (c.idleSeconds <= 0 || c.mode === 'monitor') return;
    this.setState('idle-baseline');
    const startMs = timelineNow();
    await Promise.race([new Promise((r) => setTimeout(r, c.idleSeconds * 1000)), this.stopped()]);
    this.core.readCountersNow(true);
    // Let readings of the window's end arrive before integrating.
    await new Promise((r) => setTimeout(r, this.core.policy.settleMs));
    this.idle = this.core.idleOver(startMs, Math.min(timelineNow(), startMs + c.idleSeconds * 1000));
    if (this.charged) this.idle = restrictIdle(this.idle, this.charged);
    this.core.record({ type: 'idle', ...this.idle }, true);
  }

  private async startWatcher(dir: string): Promise<void> {
    if (this.config.blankCheck === false) this.note('genwatt', 'blank check off (--no-blank-check): black or uniform images are not flagged');
    const { watcher, ready } = await openWatcher(dir, this.config, {
      complete: () => {
        if (this.state === 'running' || this.state === 'stopping') this.core.readCountersNow();
      },
      image: (ev) => this.onImage(ev),
      note: (m) => this.note('watcher', m),
      waiting: (d) => this.emit('waiting', d),
      fail: (err) => this.fail(err),
    });
    this.watcher = watcher;
    await ready;
  }

  private async startRun(): Promise<void> {
    const c = this.config;
    if (c.outDir) await this.startWatcher(c.outDir);
    if (this.stopRequested) return;
    this.runStartMs = timelineNow();
    this.runStartWallMs = Date.now();
    this.intake.start(this.runStartMs, c.backend?.kind);
    if (c.backend) this.core.measureServer(c.backend.url);
    this.rowsOf.runStart(this.runStartMs);
    this.core.timeline.resetPeaks();
    this.core.record({ type: 'run-start', startMs: this.runStartMs }, true);
    this.core.readCountersNow(true);
    this.setState('running');
    this.stopAfter(c.timeoutMs);
    this.timers.push(setInterval(() => this.intake.tick(timelineNow()), 100));
    const g = await launchGenerator({
      config: c,
      core: this.core,
      tags: this.tags,
      generatorLog: this.generatorLog,
      intake: this.intake,
      note: (source, m) => this.note(source, m),
      tagsAdded: (t) => this.emit('tags', t),
      progress: (p) => {
        this.progress = p;
        this.emit('progress', p);
      },
      logged: (l) => this.emit('log', l),
    });
    if (!g) return;
    this.generator = g;
    g.done
      .then(async (exit) => {
        this.childExit = exit;
        this.core.childExited();
        if (this.stopRequested && !isBackend(g)) return;
        // The last file may still be on its way through the watcher.
        if (this.watcher) await this.settleWatcher();
        await this.intake.end();
        if (!this.stopRequested) this.stop('child-exit');
      })
      .catch((err: unknown) => this.fail(err as Error));
  }

  /** The server's own image count against the watched folder's: a mismatch is shown and recorded. */
  private crossCheck(server: number | null): void {
    const { tags, note } = countCheck(this.config.backend?.kind ?? 'server', server, this.imagesSeen, this.config.outDir);
    Object.assign(this.tags, tags);
    this.core.record({ type: 'tags', tags }, true);
    if (note) this.note('genwatt', note);
  }

  /** A command that ended by itself with no image in --out fails the run (wrong-folder.ts). */
  private async checkNothingMade(): Promise<void> {
    const g = this.generator;
    if (!g || isBackend(g)) return;
    const exit = this.childExit;
    const why = await nothingMade(
      this.config,
      { byItself: this.stopRequested === 'child-exit', exitedCleanly: exit?.reason === 'exited' && exit.code === 0, images: this.imagesSeen },
      this.runStartWallMs,
    );
    if (why) this.fail(new Error(why));
  }

  private async settleWatcher(): Promise<void> {
    if (!this.watcher) return;
    const left = await settleWatcher(this.watcher);
    if (left > 0) this.note('genwatt', `${left} file(s) were still being written or checked when the run ended: not counted`);
  }

  private fail(err: Error): void {
    this.note('genwatt', err.message);
    this.failure ??= err.message;
    this.stop('error');
  }

  private onImage(ev: ImageEvent): void {
    // An image that completes while the run is being stopped was made by it (its metadata is read
    // after the file is complete): it counts, unless --count was already reached.
    const accepting = this.state === 'running' || (this.state === 'stopping' && this.stopRequested !== 'count' && this.runStartMs !== null);
    if (accepting) this.intake.image(ev);
  }

  /** Images counted so far. */
  get imagesSeen(): number {
    return this.intake.imagesSeen;
  }

  private closeBatch(batch: ImageEvent[]): void {
    const index = batch[0].batch!;
    this.core.record({ type: 'batch', batch: index, paths: batch.map((e) => e.path) }, true);
    this.rowsOf.batch(index, batch);
  }

  /** The per-image rows so far (a batch's rows once its windows are complete on every charged GPU). */
  get rows(): ImageRow[] {
    return this.rowsOf.rows;
  }

  /** --timeout: counted from the run's start (after the idle baseline). */
  private stopAfter(ms: number | null): void {
    if (!ms) return;
    const t = setTimeout(() => this.stop('timeout'), ms);
    t.unref();
    this.timers.push(t);
  }

  private stopped(): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise((r) => this.stopWaiters.push(r));
  }

  /** The command is being stopped and the user will not wait: SIGKILL its group now (the recording is still finished). */
  killGenerator(): boolean {
    const g = this.generator;
    if (!g || isBackend(g) || this.childExit) return false;
    g.kill();
    this.note('genwatt', 'the command was killed (SIGKILL) at the second Ctrl-C');
    return true;
  }

  /** Ends the session (Ctrl-C, SIGHUP, count reached, child exit). Safe to call more than once. */
  stop(reason: StopReason): void {
    if (this.stopRequested) return;
    this.stopRequested = reason;
    for (const w of this.stopWaiters.splice(0)) w();
  }

  private async stopGenerator(): Promise<void> {
    const g = this.generator;
    if (!g || this.childExit) return;
    this.childExit = await stopAndWait(g, this.config.killAfterMs ?? 10_000, (m) => this.note('genwatt', m));
    if (this.watcher) await this.settleWatcher();
  }

  private async finish(error?: string): Promise<SessionResult> {
    this.setState('stopping');
    for (const t of this.timers.splice(0)) clearTimeout(t);
    await this.stopGenerator();
    this.childExit = asUserStop(this.childExit, this.stopRequested);
    await this.intake.end();
    await this.checkNothingMade();
    await this.watcher?.close();
    this.intake.flush();
    if (this.runStartMs !== null) {
      // The counter after the last image, and a sample of power after that read (its edge lies between reads).
      this.core.readCountersNow(true);
      await new Promise((r) => setTimeout(r, this.core.policy.settleMs));
    }
    await this.core.stopSampling();
    this.rowsOf.finish();
    // Said after the last image line: what did not add up between the server and the folder.
    for (const m of this.intake.closingNotes()) this.note('genwatt', m);
    if (this.generator && isBackend(this.generator)) this.crossCheck(this.generator.serverImages());
    const endMs = timelineNow();
    this.core.record({ type: 'end', endMs, endedAt: new Date(endMs).toISOString(), exit: this.childExit, endReason: this.stopRequested }, true);
    if (this.config.removeOutDir && this.config.outDir) rmSync(this.config.outDir, { recursive: true, force: true });
    const result = await finishResult(this, this.recorder, endMs, error ?? this.failure);
    this.setState('done');
    this.emit('end', result);
    return result;
  }

  /** Exit code of the session: the generator's, 130 when interrupted, 1 on failure. */
  exitCode(failed: boolean): number {
    return sessionExitCode(this.childExit, this.stopRequested, this.config.mode, failed);
  }
}
