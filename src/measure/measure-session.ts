/**
 * One measured session: a run, a watch or monitoring. The shared core (session-core.ts) samples the
 * devices; this adds the idle baseline before the run, the generator and the output watcher, batches →
 * per-image rows, and the ending. Every record enters through the core's `record` event, which the
 * recorder listens to; the CLI's plain output and the dashboard listen to the events below.
 *
 * Events: `state` (SessionState), `reading` (Reading), `gap` (Gap), `note` (Note), `image`
 * (ImageEvent), `rows` (ImageRow[]), `log` (LogLine), `waiting` (dir), `tags`, `progress`, `end` (SessionResult).
 */
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import type { DeviceInfo, ProbeName } from '../../probes/types.js';
import type { BackendConfig, BackendProgress } from '../backends/backend-types.js';
import { exitCodeFor } from '../backends/run-controller.js';
import { rowsOfBatch, type IdleBaseline, type ImageRow } from '../energy/image-rows.js';
import { RowStream } from '../energy/row-stream.js';
import { BatchAssembler, type ImageEvent } from '../images/batches.js';
import type { OutputWatcher } from '../images/watcher.js';
import { recordTo } from '../session/record-listener.js';
import { Recorder } from '../session/recorder.js';
import type { ChildExit, LogLine, ProbeReport, RunInfo, SessionMode, SessionOptions } from '../session/types.js';
import { resolveGpuList, restrictIdle, visibleGpus, type GpuChoice } from './gpu-select.js';
import { isBackend, startGenerator, type Generator } from './generator.js';
import { checkCommand, checkOutDir } from './preflight.js';
import { SessionCore } from './session-core.js';
import { finishResult, type SessionResult } from './session-result.js';

export { NoGpuError } from './detect-devices.js';
export { RunNotStartedError } from './preflight.js';
export type { SessionResult } from './session-result.js';

export interface MeasureConfig {
  mode: SessionMode;
  /** Forced probes, or undefined to auto-detect. */
  probes?: ProbeName[];
  intervalMs: number;
  idleSeconds: number;
  warmupBatches: number;
  batchGapMs: number | null;
  count: number | null;
  timeoutMs: number | null;
  outDir: string | null;
  argv: string[] | null;
  cwd: string;
  tags: Record<string, string>;
  /** Recording path, or null for none. */
  record: string | null;
  /** Grace between SIGTERM and SIGKILL for the generator's process group. */
  killAfterMs?: number;
  /** Use the simulated GPU when no real GPU is found (the demo). */
  simulateIfNoGpu?: boolean;
  /**
   * Energy counter read period for probes where a read is costly (NVML), ms. Default: every sample
   * in measured runs (the most exact per-image figures), once a second when monitoring.
   */
  counterIntervalMs?: number | null;
  /** Generate through a server's HTTP API (Forge/A1111, ComfyUI) instead of `argv`. */
  backend?: BackendConfig;
  /** `outDir` is genwatt's own (the demo's temp folder): removed when the session ends. */
  removeOutDir?: boolean;
  /** Decode each image for its entropy (blank images); default true. */
  blankCheck?: boolean;
  /** `--gpu`: a list (indices, bus ids, UUIDs) or `auto`; undefined: visibility variables, then auto. */
  gpu?: string;
  /** With --probe simulated: how many simulated GPUs. */
  simGpus?: number;
}

export type SessionState = 'detecting' | 'idle-baseline' | 'running' | 'stopping' | 'done';

export class MeasureSession extends EventEmitter {
  readonly core: SessionCore;
  rows: ImageRow[] = [];
  idle: IdleBaseline | undefined;
  state: SessionState = 'detecting';
  runStartMs: number | null = null;
  readonly startedMs = Date.now();
  recordFile: string | null = null;
  imagesSeen = 0;
  childExit: ChildExit | null = null;
  readonly options: SessionOptions;
  /** The server backend's progress (step x of y), when one drives the run. */
  progress: BackendProgress | null = null;
  private recorder: Recorder | undefined;
  private watcher: OutputWatcher | undefined;
  private generator: Generator | undefined;
  private batches: BatchAssembler;
  private rowStream: RowStream | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopRequested: string | null = null;
  private stopWaiters: (() => void)[] = [];
  private failure: string | undefined;
  /** Logs and notes kept for a session that records nothing (the rest are in the journal). */
  readonly logs: LogLine[] = [];
  readonly notes: import('../session/types.js').Note[] = [];

  constructor(readonly config: MeasureConfig) {
    super();
    this.core = new SessionCore({ probes: config.probes, intervalMs: config.intervalMs, simulateIfNoGpu: config.simulateIfNoGpu, simGpus: config.simGpus });
    this.options = this.core.sessionOptions({ idleSeconds: config.idleSeconds, warmupBatches: config.warmupBatches, batchGapMs: config.batchGapMs, count: config.count });
    this.batches = new BatchAssembler(config.batchGapMs ?? undefined);
    for (const ev of ['reading', 'gap'] as const) this.core.on(ev, (x) => this.emit(ev, x));
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

  get stopReason(): string | null {
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
    const c = this.config;
    if (c.mode === 'monitor') return;
    if (c.outDir) checkOutDir(c.outDir);
    if (c.argv && !(c.backend && c.backend.kind !== 'command')) checkCommand(c.argv[0], c.cwd);
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
      this.recorder = new Recorder(c.record, { onWriteError: (err) => this.note('recorder', err ? `cannot write ${this.recordFile}: ${err.message}; records are kept in memory and retried` : `writing ${this.recordFile} works again`) });
      this.recordFile = this.recorder.file;
      recordTo(this.core, this.recorder);
    }
    const choice = this.chooseGpus();
    const run: RunInfo = { mode: c.mode, argv: c.argv, cwd: c.cwd, outDir: c.outDir, tags: c.tags, startMs: null, endMs: null, exit: null, endReason: null };
    if (choice.ids) Object.assign(run, { gpus: choice.ids, gpuReason: choice.reason });
    else if (choice.pending) Object.assign(run, { gpusPending: true, gpuReason: choice.reason });
    this.core.record(this.core.header(this.startedMs, this.options, run), true);
    if (choice.note) this.note('genwatt', choice.note);
    if (c.mode !== 'monitor') {
      this.rowStream = new RowStream({ gpuIds: this.core.gpuIds, charged: choice.ids, hold: choice.pending, gapLimitMs: this.core.policy.gapLimitMs, batchGapMs: c.batchGapMs });
      if (choice.pending) this.core.on('process-look', this.onProcessLook);
      this.core.on('reading', (r) => {
        this.rowStream!.sample(r);
        this.takeRows();
      });
    }
    // The counter once a second, plus a read at every image's completion and at the run start
    // (a read costs ~4 ms of CPU on an H100/H200): window edges come from those reads. Monitoring
    // measures no image, so it does not read it at all unless --counter-interval asks.
    // Only the charged GPUs' counters are read (all of them until the generator's GPUs are known).
    if (choice.ids) this.core.counterDevices(choice.ids);
    this.core.startSampling(c.counterIntervalMs ?? (c.mode === 'monitor' ? Number.POSITIVE_INFINITY : 1000));
    try {
      await this.measureIdle();
      // The timeline keeps full samples only for the idle window; energy windows use the row stream.
      this.timers.push(setInterval(() => this.core.timeline.retainFrom(Date.now() - 60000), 10000));
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
  charged: string[] | undefined;
  private gpuPending = false;
  private looksAfterFirstImage = 0;

  /** --gpu, else the generator's visibility variables, else its processes (decided later), else all. */
  private chooseGpus(): { ids?: string[]; pending?: boolean; reason?: string; note?: string } {
    const c = this.config;
    const gpus = this.core.devices.filter((d) => !d.host);
    const say = (ch: GpuChoice) => `charging ${ch.ids.length === 1 ? 'GPU' : 'GPUs'} ${ch.ids.join(', ')} to this run (${ch.reason})`;
    if (c.gpu !== undefined && c.gpu !== 'auto') {
      const ch = resolveGpuList(c.gpu, this.core.devices);
      this.charged = ch.ids;
      return { ids: ch.ids, reason: ch.reason, note: say(ch) };
    }
    const command = c.mode !== 'monitor' && Array.isArray(c.argv) && !(c.backend && c.backend.kind !== 'command');
    if (command && c.gpu === undefined) {
      const ch = visibleGpus({ ...process.env, ...this.core.childEnv() }, this.core.devices);
      if (ch) {
        this.charged = ch.ids;
        return { ids: ch.ids, reason: ch.reason, note: say(ch) };
      }
    }
    if (gpus.length <= 1) return {};
    if (command && this.core.canListProcesses) {
      this.gpuPending = true;
      return { pending: true, reason: "the GPUs the generator's processes appear on", note: `${gpus.length} GPUs: the run will be charged to the ones the generator's processes appear on (give --gpu to choose)` };
    }
    return { reason: 'all GPUs', note: `${gpus.length} GPUs, all charged to this run${command ? ' (their interface lists no processes)' : ''}: give --gpu to choose` };
  }

  /** A look at the GPUs' processes while the charged GPUs are undecided. */
  private readonly onProcessLook = (onGenerator: Set<string>, lists: Map<string, { pid: number; usedBytes?: number; generator: boolean }[] | null>): void => {
    if (!this.gpuPending) return;
    if (this.imagesSeen > 0) this.looksAfterFirstImage++;
    const gpus = this.core.gpuIds;
    if (onGenerator.size) {
      const ids = gpus.filter((id) => onGenerator.has(id));
      const evidence = ids.map((id) => `${(lists.get(id) ?? []).filter((p) => p.generator).map((p) => `pid ${p.pid}`).join(', ')} on ${id}`).join('; ');
      this.decideGpus(ids, `the generator's processes: ${evidence}`);
    } else if ([...lists.values()].every((l) => l === null)) this.decideGpus(gpus, 'all GPUs: their interface lists no processes');
    else if (this.looksAfterFirstImage >= 3) this.decideGpus(gpus, "all GPUs: the generator's processes were not seen on any (a server or another process does its GPU work?)");
  };

  private decideGpus(ids: string[], reason: string): void {
    this.gpuPending = false;
    this.core.off('process-look', this.onProcessLook);
    this.charged = ids;
    this.core.counterDevices(ids);
    this.core.record({ type: 'gpus', tMs: Date.now(), ids, reason }, true);
    this.note('genwatt', `charging ${ids.length === 1 ? 'GPU' : 'GPUs'} ${ids.join(', ')} to this run (${reason})`);
    if (this.idle) {
      this.idle = restrictIdle(this.idle, ids);
      this.core.record({ type: 'idle', ...this.idle }, true);
    }
    this.rowStream?.charge(ids);
    this.takeRows();
    this.emit('gpus', ids);
  }

  private async measureIdle(): Promise<void> {
    const c = this.config;
    if (c.idleSeconds <= 0 || c.mode === 'monitor') return;
    this.setState('idle-baseline');
    const startMs = Date.now();
    await Promise.race([new Promise((r) => setTimeout(r, c.idleSeconds * 1000)), this.stopped()]);
    // Let readings of the window's end arrive before integrating.
    await new Promise((r) => setTimeout(r, this.core.policy.settleMs));
    this.idle = this.core.idleOver(startMs, Math.min(Date.now(), startMs + c.idleSeconds * 1000));
    if (this.charged) this.idle = restrictIdle(this.idle, this.charged);
    this.core.record({ type: 'idle', ...this.idle }, true);
  }

  private async startWatcher(dir: string): Promise<void> {
    const { OutputWatcher } = await import('../images/watcher.js');
    // Forge/A1111 save grids into *-grids folders next to the images (modules/shared_options.py outdir_*_grids).
    const w = new OutputWatcher(dir, { entropy: this.config.blankCheck !== false, ...(this.config.backend?.kind === 'forge' ? { ignoreFolder: (name: string) => /-grids$/.test(name) } : {}) });
    this.watcher = w;
    if (this.config.blankCheck === false) this.note('genwatt', 'blank check off (--no-blank-check): black or uniform images are not flagged');
    w.on('complete', () => {
      if (this.state === 'running' || this.state === 'stopping') this.core.readCountersNow();
    });
    w.on('image', (ev: ImageEvent) => this.onImage(ev));
    w.on('note', (m: string) => this.note('watcher', m));
    w.on('waiting', (d: string) => {
      this.note('watcher', `waiting for ${d} to appear`);
      this.emit('waiting', d);
    });
    w.on('error', (err: Error) => this.note('watcher', err.message));
    // An existing folder is watched before the command starts; a missing one is waited for.
    const ready = w.start();
    if (existsSync(dir)) await ready;
    else ready.catch((err: Error) => this.fail(err));
  }

  private async startRun(): Promise<void> {
    const c = this.config;
    if (c.outDir) await this.startWatcher(c.outDir);
    if (this.stopRequested) return;
    this.runStartMs = Date.now();
    this.batches = new BatchAssembler(c.batchGapMs ?? undefined, this.runStartMs);
    this.rowStream!.runStart(this.runStartMs);
    this.core.timeline.resetPeaks();
    this.core.record({ type: 'run-start', startMs: this.runStartMs }, true);
    this.core.readCountersNow();
    this.setState('running');
    this.stopAfter(c.timeoutMs);
    this.timers.push(
      setInterval(() => {
        const closed = this.batches.flushIfQuiet(Date.now());
        if (closed) this.closeBatch(closed);
      }, 100),
    );
    const userTags = { ...c.tags };
    const g = await startGenerator(
      { argv: c.argv, backend: c.backend, cwd: c.cwd, env: this.core.childEnv(), killAfterMs: c.killAfterMs },
      {
        tags: (given) => {
          // The server's facts win, except over what the user said where the server cannot tell ("unknown").
          const t: Record<string, string> = {};
          for (const [k, v] of Object.entries(given)) {
            const mine = userTags[k];
            if (mine !== undefined && v === 'unknown') continue;
            if (mine !== undefined && mine !== v) this.note('genwatt', `--tag ${k}=${mine} disagrees with the server (${v}): recorded the server's`);
            t[k] = v;
          }
          Object.assign(c.tags, t);
          this.core.record({ type: 'tags', tags: t }, true);
          this.emit('tags', t);
        },
        note: (m) => this.note(c.backend?.kind ?? 'generator', m),
        progress: (p) => {
          this.progress = p;
          this.emit('progress', p);
        },
        log: (raw) => {
          const l = { ...raw, line: this.core.redactor.text(raw.line) };
          if (this.logs.length < 5000) this.logs.push(l);
          this.core.record({ type: 'log', ...l });
          this.emit('log', l);
        },
      },
    );
    if (!g) return;
    this.generator = g;
    // The generator's own GPU memory (and the GPUs it uses), from the process lists.
    if (g.pid !== undefined) {
      this.core.generatorGroup = g.pid;
      this.core.processWatch?.acquire();
    }
    void g.done.then(async (exit) => {
      this.childExit = exit;
      this.core.childExited();
      if (this.stopRequested && !isBackend(g)) return;
      // The last file may still be on its way through the watcher.
      if (this.watcher) await this.settleWatcher();
      if (isBackend(g)) this.crossCheck(g.serverImages());
      if (!this.stopRequested) this.stop('child-exit');
    });
  }

  /** The server's own image count against the watched folder's: a mismatch is shown and recorded. */
  private crossCheck(server: number | null): void {
    const kind = this.config.backend?.kind ?? 'server';
    // Unknown (a stopped Forge batch) is left out, never written as a number.
    const tags: Record<string, string> = { 'watched-images': String(this.imagesSeen) };
    if (server !== null) tags['server-images'] = String(server);
    Object.assign(this.config.tags, tags);
    this.core.record({ type: 'tags', tags }, true);
    if (server === null) this.note('genwatt', `${kind} cannot say how many images it saved (stopped mid-batch): counted the ${this.imagesSeen} that appeared in ${this.config.outDir ?? 'the watched folder'}`);
    else if (server !== this.imagesSeen) this.note('genwatt', `${kind} says it made ${server} image${server === 1 ? '' : 's'}, but ${this.imagesSeen} appeared in ${this.config.outDir ?? 'the watched folder'}${this.imagesSeen < server ? ': is --out the folder the server saves into?' : ''}`);
  }

  private async settleWatcher(): Promise<void> {
    const until = Date.now() + 3000;
    await new Promise((r) => setTimeout(r, 250));
    while (this.watcher && this.watcher.pendingCount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
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
    if (!accepting) return;
    this.imagesSeen++;
    this.core.record({ type: 'image', ...ev }, true);
    this.rowStream?.image(ev);
    this.emit('image', ev);
    const closed = this.batches.add(ev);
    if (closed) this.closeBatch(closed);
    if (this.config.count !== null && this.imagesSeen >= this.config.count) {
      const last = this.batches.flush();
      if (last) this.closeBatch(last);
      this.stop('count');
    }
  }

  private closeBatch(batch: ImageEvent[]): void {
    const index = batch[0].batch!;
    this.core.record({ type: 'batch', batch: index, paths: batch.map((e) => e.path) }, true);
    this.rowStream!.batch(index, batch);
    this.takeRows();
  }

  /** Rows of the batches whose windows are complete (every GPU has samples past the end). */
  private takeRows(): void {
    const figures = this.rowStream?.takeReady() ?? [];
    if (!figures.length) return;
    const rows: ImageRow[] = [];
    for (const f of figures) rows.push(...rowsOfBatch(f, this.rows.length + rows.length, this.idle, this.options));
    this.rows.push(...rows);
    this.emit('rows', rows);
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

  /** Ends the session (Ctrl-C, SIGHUP, count reached, child exit). Safe to call more than once. */
  stop(reason: string): void {
    if (this.stopRequested) return;
    this.stopRequested = reason;
    for (const w of this.stopWaiters.splice(0)) w();
  }

  private async stopGenerator(): Promise<void> {
    const g = this.generator;
    if (!g || this.childExit) return;
    g.stop();
    this.childExit = await g.done;
    if (this.watcher) await this.settleWatcher();
  }

  private async finish(error?: string): Promise<SessionResult> {
    this.setState('stopping');
    for (const t of this.timers.splice(0)) clearTimeout(t);
    await this.stopGenerator();
    const ce = this.childExit;
    // Ctrl-C or a closed terminal signals the whole process group: the command may die of the same
    // signal before genwatt stops it. That is the user stopping the run, not the command failing.
    if (this.stopRequested === 'interrupted' && ce?.reason === 'failed' && ce.signal && ['SIGHUP', 'SIGINT', 'SIGTERM'].includes(ce.signal)) {
      this.childExit = { ...ce, reason: 'stopped', message: `stopped by ${ce.signal}, sent to genwatt and the command together (Ctrl-C, or the terminal closed)` };
    }
    await this.watcher?.close();
    const last = this.batches.flush();
    if (last) this.closeBatch(last);
    await this.core.stopSampling();
    this.rowStream?.finish([]);
    this.takeRows();
    const endMs = Date.now();
    this.core.record({ type: 'end', endMs, endedAt: new Date(endMs).toISOString(), exit: this.childExit, endReason: this.stopRequested }, true);
    if (this.config.removeOutDir && this.config.outDir) rmSync(this.config.outDir, { recursive: true, force: true });
    const result = await finishResult(this, this.recorder, endMs, error ?? this.failure);
    this.setState('done');
    this.emit('end', result);
    return result;
  }

  /** Exit code of the session: the generator's, 130 when interrupted, 1 on failure. */
  exitCode(failed: boolean): number {
    let code = this.childExit ? exitCodeFor(this.childExit) : 0;
    if (this.stopRequested === 'interrupted') code = this.config.mode === 'watch' || this.config.mode === 'monitor' ? 0 : 130;
    return failed ? code || 1 : code;
  }
}
