/**
 * One measured session: probes → sampler → timeline; idle baseline; the generator (run controller)
 * and the output watcher; batches → per-image rows; the recording. The CLI's plain output and the
 * dashboard both just listen to its events.
 *
 * Events: `state` (SessionState), `reading` (Reading), `gap` (Gap), `note` (Note), `image`
 * (ImageEvent), `rows` (ImageRow[]), `log` (LogLine), `waiting` (dir), `end` (SessionResult).
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { DeviceInfo, Gap, Probe, ProbeName, Reading } from '../probes/types.js';
import { detectDevices, NoGpuError } from './detect-devices.js';
export { NoGpuError } from './detect-devices.js';
import { BatchAssembler, type ImageEvent } from './batches.js';
import { windowEnergy } from './energy.js';
import { hostFacts } from './host-facts.js';
import { batchRows, type IdleBaseline, type ImageRow } from './image-rows.js';
import { genwattVersion } from './package-info.js';
import { Recorder } from './recorder.js';
import { exitCodeFor, startChild, type RunningChild } from './run-controller.js';
import { Sampler } from './sampler.js';
import { readSession } from './session-reader.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type ChildExit, type HeaderRecord, type LogLine, type Note, type ProbeReport, type SessionDoc, type SessionMode, type SessionOptions } from './session-types.js';
import { summarize, type Summary } from './summary.js';
import { Timeline } from './timeline.js';
import type { OutputWatcher } from './watcher.js';
import type { BackendConfig, BackendProgress, RunningBackend } from './backends/backend-types.js';

export interface MeasureConfig {
  mode: SessionMode;
  /** Forced probes, or undefined to auto-detect. */
  probes?: ProbeName[];
  intervalMs: number;
  idleSeconds: number;
  warmupBatches: number;
  batchGapMs: number | null;
  gapLimitMs?: number;
  count: number | null;
  timeoutMs: number | null;
  outDir: string | null;
  argv: string[] | null;
  cwd: string;
  tags: Record<string, string>;
  /** Recording path, or null for none. */
  record: string | null;
  /** Grace between SIGTERM and SIGKILL for the child. */
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
}

export type SessionState = 'detecting' | 'idle-baseline' | 'running' | 'stopping' | 'done';

export interface SessionResult {
  doc: SessionDoc;
  summary: Summary;
  rows: ImageRow[];
  exitCode: number;
  /** The finished recording, if one was written. */
  recordFile: string | null;
  /** The journal left behind if finalizing failed. */
  journalFile: string | null;
  error?: string;
}

/** Gap limit for energy coverage: samples further apart than this are a gap. */
export function defaultGapLimitMs(intervalMs: number): number {
  return Math.max(5 * intervalMs, 500);
}

export class MeasureSession extends EventEmitter {
  readonly timeline = new Timeline();
  devices: DeviceInfo[] = [];
  probeReports: ProbeReport[] = [];
  rows: ImageRow[] = [];
  idle: IdleBaseline | undefined;
  state: SessionState = 'detecting';
  runStartMs: number | null = null;
  startedMs = Date.now();
  recordFile: string | null = null;
  imagesSeen = 0;
  childExit: ChildExit | null = null;
  readonly options: SessionOptions;
  readonly version = genwattVersion();
  private probes: Probe[] = [];
  private sampler: Sampler | undefined;
  private recorder: Recorder | undefined;
  private watcher: OutputWatcher | undefined;
  private child: RunningChild | RunningBackend | undefined;
  /** The server backend's progress (step x of y), when one drives the run. */
  progress: BackendProgress | null = null;
  private batches: BatchAssembler;
  private windowStartMs = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private trimTimer: NodeJS.Timeout | undefined;
  private stopRequested: string | null = null;
  private stopWaiters: (() => void)[] = [];
  private logs: LogLine[] = [];
  private notes: Note[] = [];
  private readonly gpuIds: string[] = [];

  constructor(readonly config: MeasureConfig) {
    super();
    this.options = {
      intervalMs: config.intervalMs,
      idleSeconds: config.idleSeconds,
      warmupBatches: config.warmupBatches,
      gapLimitMs: config.gapLimitMs ?? defaultGapLimitMs(config.intervalMs),
      batchGapMs: config.batchGapMs,
      count: config.count,
    };
    this.batches = new BatchAssembler(config.batchGapMs ?? undefined);
  }

  private setState(s: SessionState): void {
    this.state = s;
    this.emit('state', s);
  }

  private note(source: string, message: string): void {
    const n: Note = { tMs: Date.now(), source, message };
    this.notes.push(n);
    this.recorder?.write({ type: 'note', ...n });
    this.emit('note', n);
  }

  /** Detects devices. Throws {@link NoGpuError} when no GPU is found and none is simulated. */
  async detect(): Promise<void> {
    try {
      const d = await detectDevices({ probes: this.config.probes, simulateIfNoGpu: this.config.simulateIfNoGpu });
      this.probes.push(...d.probes);
      this.devices.push(...d.devices);
      this.probeReports.push(...d.reports);
    } catch (err) {
      if (err instanceof NoGpuError) this.probeReports.push(...err.probes);
      throw err;
    }
    this.gpuIds.push(...this.devices.filter((d) => !d.host).map((d) => d.id));
  }

  /** Releases detected probes of a session that will not run. */
  async dispose(): Promise<void> {
    await Promise.all(this.probes.splice(0).map((p) => p.close().catch(() => undefined)));
  }

  /** True when only the simulated GPU is measured. */
  get simulated(): boolean {
    return this.devices.some((d) => d.simulated);
  }

  private header(): HeaderRecord {
    return {
      type: 'header',
      schema: SCHEMA_NAME,
      schemaVersion: SCHEMA_VERSION,
      genwatt: this.version,
      startedAt: new Date(this.startedMs).toISOString(),
      host: hostFacts(),
      devices: this.devices,
      probes: this.probeReports,
      options: this.options,
      run: { mode: this.config.mode, argv: this.config.argv, cwd: this.config.cwd, outDir: this.config.outDir, tags: this.config.tags, startMs: null, endMs: null, exit: null, endReason: null },
    };
  }

  /** Runs the whole session to its end (count, child exit, stop(), timeout). */
  async run(): Promise<SessionResult> {
    if (this.devices.length === 0) await this.detect();
    if (this.config.record) {
      this.recorder = new Recorder(this.config.record, {
        onWriteError: (err) => this.note('recorder', err ? `cannot write ${this.config.record}: ${err.message}; records are kept in memory and retried` : `writing ${this.config.record} works again`),
      });
      this.recordFile = this.config.record;
      this.recorder.write(this.header(), true);
    }
    const sink = {
      reading: (r: Reading) => {
        this.timeline.add(r);
        this.recorder?.write({ type: 'sample', ...r });
        this.emit('reading', r);
      },
      gap: (g: Gap) => {
        this.timeline.gap(g);
        this.recorder?.write({ type: 'gap', ...g });
        this.emit('gap', g);
      },
      note: (probe: ProbeName, message: string) => this.note(probe, message),
    };
    const counterMs = this.config.counterIntervalMs ?? (this.config.mode === 'monitor' ? 1000 : this.config.intervalMs);
    for (const p of this.probes) p.setCounterInterval?.(counterMs);
    this.sampler = new Sampler(this.probes, sink, { intervalMs: this.config.intervalMs }, (p) => this.devices.filter((d) => d.probe === p.name).map((d) => d.id));
    this.sampler.start();
    try {
      await this.measureIdle();
      if (!this.stopRequested && this.config.mode !== 'monitor') await this.startRun();
      else if (this.config.mode === 'monitor') {
        this.setState('running');
        this.trimTimer = setInterval(() => this.timeline.retainFrom(Date.now() - 60000), 10000);
      }
      await this.untilStopped();
    } catch (err) {
      this.stopRequested ??= 'error';
      this.note('genwatt', (err as Error).message);
      return this.finish((err as Error).message);
    }
    return this.finish();
  }

  private async measureIdle(): Promise<void> {
    if (this.config.idleSeconds <= 0 || this.config.mode === 'monitor') return;
    this.setState('idle-baseline');
    const startMs = Date.now();
    await Promise.race([new Promise((r) => setTimeout(r, this.config.idleSeconds * 1000)), this.stopped()]);
    // Let readings of the window's end arrive before integrating.
    await new Promise((r) => setTimeout(r, Math.min(300, 2 * this.config.intervalMs)));
    const endMs = Math.min(Date.now(), startMs + this.config.idleSeconds * 1000);
    const devices = this.gpuIds.map((id) => {
      const fig = windowEnergy(this.timeline.devices.get(id)?.samples ?? [], startMs, endMs, { gapLimitMs: this.options.gapLimitMs });
      const watts = fig.joules === null || endMs <= startMs ? null : fig.joules / ((endMs - startMs) / 1000);
      return { deviceId: id, watts, method: fig.method, coverage: fig.coverage, flagged: fig.flagged };
    });
    const totalWatts = devices.every((d) => d.watts !== null) ? devices.reduce((a, d) => a + d.watts!, 0) : null;
    this.idle = { startMs, endMs, devices, totalWatts };
    this.recorder?.write({ type: 'idle', ...this.idle }, true);
  }

  private async startRun(): Promise<void> {
    if (this.config.outDir) {
      const { OutputWatcher } = await import('./watcher.js');
      const w = new OutputWatcher(this.config.outDir);
      this.watcher = w;
      w.on('image', (ev: ImageEvent) => this.onImage(ev));
      w.on('note', (m: string) => this.note('watcher', m));
      w.on('waiting', (dir: string) => {
        this.note('watcher', `waiting for ${dir} to appear`);
        this.emit('waiting', dir);
      });
      w.on('error', (err: Error) => this.note('watcher', err.message));
      // An existing folder is watched before the command starts; a missing one is waited for.
      const ready = w.start();
      if (existsSync(this.config.outDir)) await ready;
      else ready.catch((err: Error) => this.fail(err));
      if (this.stopRequested) return;
    }
    this.runStartMs = Date.now();
    this.windowStartMs = this.runStartMs;
    this.batches = new BatchAssembler(this.config.batchGapMs ?? undefined, this.runStartMs);
    this.timeline.resetPeaks();
    this.recorder?.write({ type: 'run-start', startMs: this.runStartMs }, true);
    this.setState('running');
    this.quietTimer = setInterval(() => {
      const closed = this.batches.flushIfQuiet(Date.now());
      if (closed) this.closeBatch(closed);
    }, 100);
    if (this.config.timeoutMs) setTimeout(() => this.stop('timeout'), this.config.timeoutMs).unref();
    if (this.config.backend && this.config.backend.kind !== 'command') {
      const b = this.config.backend;
      const hooks = {
        tags: (t: Record<string, string>) => {
          Object.assign(this.config.tags, t);
          this.recorder?.write({ type: 'tags', tags: t }, true);
          this.emit('tags', t);
        },
        note: (m: string) => this.note(b.kind, m),
        progress: (p: BackendProgress) => {
          this.progress = p;
          this.emit('progress', p);
        },
      };
      const mod = b.kind === 'forge' ? await import('./backends/forge-backend.js') : await import('./backends/comfyui-backend.js');
      const backend = 'startForge' in mod ? mod.startForge(b, hooks) : mod.startComfyui(b, hooks);
      this.child = backend;
      void backend.done.then(async (exit) => {
        this.childExit = exit;
        if (this.watcher) await this.settleWatcher();
        this.crossCheck(backend);
        if (!this.stopRequested) this.stop('child-exit');
      });
    } else if (this.config.argv) {
      const env: Record<string, string> = {};
      for (const p of this.probes) Object.assign(env, p.childEnv?.() ?? {});
      this.child = await startChild(this.config.argv, {
        cwd: this.config.cwd,
        env,
        killAfterMs: this.config.killAfterMs,
        onLine: (stream, line) => {
          const l: LogLine = { tMs: Date.now(), stream, line };
          if (this.logs.length < 5000) this.logs.push(l);
          this.recorder?.write({ type: 'log', ...l });
          this.emit('log', l);
        },
      });
      void this.child.done.then(async (exit) => {
        this.childExit = exit;
        for (const p of this.probes) p.onChildExit?.();
        if (this.stopRequested) return;
        // The last file may still be on its way through the watcher.
        if (this.watcher) await this.settleWatcher();
        this.stop('child-exit');
      });
    }
  }

  /** The server's own image count against the watched folder's: a mismatch is shown and recorded. */
  private crossCheck(b: RunningBackend): void {
    const server = b.serverImages();
    const kind = this.config.backend?.kind ?? 'server';
    const tags = { 'server-images': String(server), 'watched-images': String(this.imagesSeen) };
    Object.assign(this.config.tags, tags);
    this.recorder?.write({ type: 'tags', tags }, true);
    if (server !== this.imagesSeen) this.note('genwatt', `${kind} says it made ${server} image${server === 1 ? '' : 's'}, but ${this.imagesSeen} appeared in ${this.config.outDir ?? 'the watched folder'}${this.imagesSeen < server ? ': is --out the folder the server saves into?' : ''}`);
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

  private failure: string | undefined;

  private onImage(ev: ImageEvent): void {
    if (this.state !== 'running') return;
    this.imagesSeen++;
    this.recorder?.write({ type: 'image', ...ev }, true);
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
    const batchIndex = batch[0].batch!;
    const rows = batchRows(batch, batchIndex, this.rows.length, this.windowStartMs, this.timeline.series(this.gpuIds), this.idle, this.options);
    this.windowStartMs = Math.max(...batch.map((e) => e.mtimeMs));
    this.recorder?.write({ type: 'batch', batch: batchIndex, paths: batch.map((e) => e.path) }, true);
    this.rows.push(...rows);
    this.timeline.retainFrom(this.windowStartMs);
    this.emit('rows', rows);
  }

  private stopped(): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise((r) => this.stopWaiters.push(r));
  }

  private untilStopped(): Promise<void> {
    return this.stopped();
  }

  /** Ends the session (Ctrl-C, SIGHUP, count reached, child exit). Safe to call more than once. */
  stop(reason: string): void {
    if (this.stopRequested) return;
    this.stopRequested = reason;
    for (const w of this.stopWaiters.splice(0)) w();
  }

  get stopReason(): string | null {
    return this.stopRequested;
  }

  private async finish(error?: string): Promise<SessionResult> {
    this.setState('stopping');
    if (this.quietTimer) clearInterval(this.quietTimer);
    if (this.trimTimer) clearInterval(this.trimTimer);
    if (this.child && !this.childExit) {
      this.child.stop();
      this.childExit = await this.child.done;
      if (this.watcher) await this.settleWatcher();
    }
    // Ctrl-C or a closed terminal signals the whole process group: the command may die of the
    // same signal before genwatt stops it. That is the user stopping the run, not the command failing.
    const ce = this.childExit;
    if (this.stopRequested === 'interrupted' && ce?.reason === 'failed' && ce.signal && ['SIGHUP', 'SIGINT', 'SIGTERM'].includes(ce.signal)) {
      this.childExit = { ...ce, reason: 'stopped', message: `stopped by ${ce.signal}, sent to genwatt and the command together (Ctrl-C, or the terminal closed)` };
    }
    await this.watcher?.close();
    const last = this.batches.flush();
    if (last) this.closeBatch(last);
    await this.sampler?.stop();
    const endMs = Date.now();
    const failure = error ?? this.failure;
    this.recorder?.write({ type: 'end', endMs, endedAt: new Date(endMs).toISOString(), exit: this.childExit, endReason: this.stopRequested }, true);
    let doc: SessionDoc;
    let recordFile: string | null = null;
    let journalFile: string | null = null;
    let finalizeError: string | undefined;
    if (this.recorder) {
      this.recorder.close();
      try {
        doc = (await readSession(this.recorder.journal)).doc;
        this.recorder.finalize(doc);
        recordFile = this.recorder.file;
      } catch (err) {
        const lost = this.recorder.lostRecords;
        const cause = this.recorder.writeError ?? (err as Error);
        finalizeError = `could not write ${this.recorder.file}: ${cause.message}; ${lost ? `the disk refused ${lost} records: the journal ${this.recorder.journal} has only what was written before` : `the journal ${this.recorder.journal} keeps everything`}`;
        journalFile = this.recorder.journal;
        doc = this.liveDoc(endMs);
      }
    } else doc = this.liveDoc(endMs);
    const summary = doc.summary;
    let exitCode = 0;
    if (this.childExit) exitCode = exitCodeFor(this.childExit);
    if (this.stopRequested === 'interrupted') exitCode = this.config.mode === 'watch' || this.config.mode === 'monitor' ? 0 : 130;
    if (failure || finalizeError) exitCode = exitCode || 1;
    this.setState('done');
    const result: SessionResult = { doc, summary, rows: doc.rows, exitCode, recordFile, journalFile };
    if (failure || finalizeError) result.error = [failure, finalizeError].filter(Boolean).join('; ');
    this.emit('end', result);
    return result;
  }

  /** The document from memory, when there is no recording to read back. */
  private liveDoc(endMs: number): SessionDoc {
    const h = this.header();
    return {
      schema: SCHEMA_NAME,
      schemaVersion: SCHEMA_VERSION,
      genwatt: this.version,
      startedAt: h.startedAt,
      endedAt: new Date(endMs).toISOString(),
      complete: true,
      host: h.host,
      devices: this.devices,
      probes: this.probeReports,
      options: this.options,
      run: { ...h.run, startMs: this.runStartMs, endMs, exit: this.childExit, endReason: this.stopRequested },
      idle: this.idle ?? null,
      samples: [],
      gaps: [],
      images: this.rows.map((r) => ({ path: r.path, mtimeMs: r.tMs, batch: r.batch, ...(r.bytes !== undefined ? { bytes: r.bytes } : {}) })),
      rows: this.rows,
      summary: summarize(this.rows, this.idle, this.runStartMs !== null ? (endMs - this.runStartMs) / 1000 : null),
      logs: this.logs,
      notes: this.notes,
    };
  }
}
