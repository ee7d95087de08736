/**
 * `genwatt serve`: a node's long-running measurement. Samples every detected device for as long as
 * it runs, attributes energy to the images of each watched folder, records sessions on a rotation,
 * and exposes it all over HTTP for Prometheus. Events: `log` (message).
 */
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import type { Server } from 'node:http';
import type { DeviceInfo, Gap, ProbeName, Reading } from '../../probes/types.js';
import type { IdleBaseline } from '../energy/idle-baseline.js';
import { resolveGpuList, restrictIdle, type GpuChoice } from '../measure/gpu-select.js';
import { SessionCore } from '../measure/session-core.js';
import type { HeaderRecord, Note, RunInfo, SessionMode } from '../session/types.js';
import { FolderTracker, type SegmentStart } from './folder-tracker.js';
import { startHttp } from './http-server.js';
import { ServeMetrics } from './metrics.js';
import { Recordings, type RotateMode } from './recordings.js';
import { timelineNow } from '../../probes/timeline.js';

export interface ServeConfig {
  probes?: ProbeName[];
  simGpus?: number;
  intervalMs: number;
  idleSeconds: number;
  watch: string[];
  recordDir: string | null;
  rotate: RotateMode;
  runGapMs: number;
  batchGapMs: number | null;
  warmupBatches: number;
  host: string;
  port: number;
  node: string;
  counterIntervalMs: number | null;
  /** Decode each image for its entropy (blank images). */
  blankCheck?: boolean;
  /** Host names answered besides loopback and the node's names (when bound to loopback). */
  allowHosts: string[];
  /** Most open HTTP connections. */
  maxConnections: number;
  /** Longest a recording file may cover, ms (a longer run continues in a new file). */
  maxFileMs: number;
}

const HOUR_MS = 3600_000;

export interface ServeNodeEvents {
  log: [message: string];
}

export class ServeNode extends EventEmitter<ServeNodeEvents> {
  readonly core: SessionCore;
  metrics!: ServeMetrics;
  idle: IdleBaseline | undefined;
  url = '';
  private server: Server | undefined;
  private closeHttp: (() => void) | undefined;
  private recordings: Recordings | undefined;
  private readonly trackers: FolderTracker[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly startedMs = timelineNow();

  constructor(readonly config: ServeConfig) {
    super();
    this.core = new SessionCore({ probes: config.probes, simGpus: config.simGpus, intervalMs: config.intervalMs, timeline: { liveCapacity: 8 } });
  }

  get version(): string {
    return this.core.version;
  }

  get devices(): DeviceInfo[] {
    return this.core.devices;
  }

  get timeline() {
    return this.core.timeline;
  }

  private log(message: string): void {
    this.emit('log', message);
  }

  private note(source: string, message: string): void {
    this.core.note(source, message);
  }

  private header(mode: SessionMode, outDir: string | null, startMs: number, warmupBatches: number, tags: Record<string, string>): HeaderRecord {
    const c = this.config;
    const options = this.core.sessionOptions({ idleSeconds: c.idleSeconds, warmupBatches, batchGapMs: c.batchGapMs, count: null });
    const run: RunInfo = { mode, argv: null, cwd: process.cwd(), outDir, tags, startMs, endMs: null, exit: null, endReason: null };
    const g = outDir ? this.folderGpus.get(outDir) : undefined;
    if (g) Object.assign(run, { gpus: g.ids, gpuReason: g.reason });
    return this.core.header(startMs, options, run);
  }

  /** `--watch DIR=GPULIST`: each folder's charged GPUs (absent: all). */
  private readonly folderGpus = new Map<string, GpuChoice>();

  /** The idle baseline over a folder's GPUs. */
  private idleFor(folder?: string | null): IdleBaseline | undefined {
    const g = folder ? this.folderGpus.get(folder) : undefined;
    return this.idle && g ? restrictIdle(this.idle, g.ids) : this.idle;
  }

  /** Detects devices, starts sampling, watching, recording and the HTTP server. */
  async start(): Promise<void> {
    const c = this.config;
    const core = this.core;
    await core.detect();
    // `--watch DIR=GPULIST` resolved before anything starts: a GPU that is not here is a usage error.
    const dirs: string[] = [];
    for (const entry of c.watch) {
      const w = splitWatch(entry);
      const dir = resolve(w.dir);
      if (w.gpus) this.folderGpus.set(dir, resolveGpuList(w.gpus, this.core.devices));
      dirs.push(dir);
    }
    const policy = core.policy;
    this.metrics = new ServeMetrics(this.devices, { node: c.node, version: this.version, staleMs: policy.metricStaleMs, gapLimitMs: policy.gapLimitMs });
    if (c.recordDir) {
      this.recordings = new Recordings({
        dir: resolve(c.recordDir),
        node: c.node,
        rotate: c.rotate,
        maxSegmentMs: c.maxFileMs,
        header: (...a) => this.header(...a),
        timeline: this.timeline,
        idle: (folder) => this.idleFor(folder),
        log: (m) => this.log(m),
        onState: (s) => this.metrics.recording(s),
      });
      this.recordings.listen(core);
    }
    const http = await startHttp(c.host, c.port, {
      registry: this.metrics.registry,
      recordDir: c.recordDir ? resolve(c.recordDir) : null,
      health: () => this.health(),
      node: c.node,
      allowHosts: c.allowHosts,
      maxConnections: c.maxConnections,
    });
    const { server, address } = http;
    this.server = server;
    this.closeHttp = http.close;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    core.on('reading', (r: Reading) => this.metrics.reading(r));
    core.on('gap', (g: Gap) => this.metrics.gap(g));
    core.on('note', (n: Note) => {
      this.metrics.note(n.source);
      this.log(`${n.source}: ${n.message}`);
    });
    core.on('restart', (probe: ProbeName) => this.metrics.restart(probe));
    core.startSampling(c.counterIntervalMs ?? 1000);
    this.recordings?.startMonitor(timelineNow());
    for (const dir of dirs) this.watchFolder(dir);
    this.timers.push(setTimeout(() => this.measureIdle(), c.idleSeconds * 1000 + policy.settleMs));
    // Keep only the samples open windows still need (the recordings have everything).
    this.timers.push(setInterval(() => this.timeline.retainFrom(Math.min(timelineNow() - 60_000, ...this.trackers.map((t) => t.needsSamplesFromMs))), 5000));
    if (c.rotate === 'hour') this.scheduleHour();
    this.timers.push(setInterval(() => this.splitOverlong(), Math.min(10_000, Math.max(200, c.maxFileMs / 10))));
  }

  /** `ok`, or `degraded` with what is wrong: a watched folder missing, recordings failing. */
  health(): { status: 'ok' | 'degraded'; problems: string[]; [k: string]: unknown } {
    const c = this.config;
    const problems: string[] = [];
    for (const t of this.trackers) if (!t.ready) problems.push(`watched folder ${t.dir} is missing`);
    if (this.recordings?.failing) problems.push(`recordings cannot be written to ${c.recordDir} (${this.recordings.failing})`);
    return {
      status: problems.length ? 'degraded' : 'ok',
      problems,
      node: c.node,
      uptimeSeconds: Math.round((timelineNow() - this.startedMs) / 1000),
      devices: this.core.gpuIds,
      watching: this.trackers.map((t) => t.dir),
      idleWatts: this.idle?.totalWatts ?? null,
    };
  }

  private measureIdle(): void {
    if (this.config.idleSeconds <= 0) return;
    const startMs = this.startedMs;
    this.idle = this.core.idleOver(startMs, startMs + this.config.idleSeconds * 1000);
    this.recordings?.idleKnown();
    const w = this.idle.totalWatts;
    this.log(`idle baseline over the first ${this.config.idleSeconds} s: ${w === null ? 'unknown (no power data)' : `${w.toFixed(1)} W`}`);
  }

  private watchFolder(dir: string): void {
    const c = this.config;
    const t = new FolderTracker(dir, {
      runGapMs: c.runGapMs,
      batchGapMs: c.batchGapMs,
      warmupBatches: c.warmupBatches,
      blankCheck: c.blankCheck,
      gapLimitMs: this.core.policy.gapLimitMs,
      series: () => this.timeline.series(this.folderGpus.get(dir)?.ids ?? this.core.gpuIds),
      idle: () => this.idleFor(dir),
    });
    this.trackers.push(t);
    const g = this.folderGpus.get(dir);
    if (g) this.log(`${dir}: charged to ${g.ids.length === 1 ? 'GPU' : 'GPUs'} ${g.ids.join(', ')}`);
    this.metrics.folder(dir, false, g ? g.ids.join(',') : 'all');
    t.on('ready', () => {
      this.metrics.folder(dir, true, g ? g.ids.join(',') : 'all');
      this.log(`watching ${dir}`);
    });
    t.on('waiting', () => {
      this.metrics.folder(dir, false, g ? g.ids.join(',') : 'all');
      this.log(`waiting for ${dir} to exist`);
    });
    t.on('lost', () => this.metrics.folder(dir, false, g ? g.ids.join(',') : 'all'));
    t.on('note', (m: string) => this.note('watcher', m));
    t.on('segment-start', (s: SegmentStart) => this.recordings?.segmentStart(dir, s));
    // An image completed: a GPU without instant power has its counter read now (its window edge comes
    // from that read); elsewhere the edge lies between the scheduled reads, and the rows wait for the next.
    t.on('complete', () => this.core.readCountersNow());
    t.on('image', (ev) => this.recordings?.image(dir, ev));
    t.on('batch', (b) => this.recordings?.batch(dir, b));
    t.on('rows', (rows) => this.metrics.rows(dir, rows));
    t.on('segment-end', (e) => this.recordings?.segmentEnd(dir, e));
    t.start();
  }

  private scheduleHour(): void {
    const now = timelineNow();
    const next = Math.ceil((now + 1) / HOUR_MS) * HOUR_MS;
    const timer = setTimeout(() => {
      for (const t of this.trackers) t.split('hourly rotation');
      this.recordings?.rotateMonitor(timelineNow());
      this.scheduleHour();
    }, next - now);
    this.timers.push(timer);
  }

  private splitOverlong(): void {
    const long = new Set(this.recordings?.overlong(timelineNow()) ?? []);
    for (const t of this.trackers) if (long.has(t.dir)) t.split(`file reached its length limit (${Math.round(this.config.maxFileMs / 60000)} min)`);
  }

  /** Stops everything; finished recordings are written, unfinished journals stay readable. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearTimeout(t);
    await Promise.all(this.trackers.map((t) => t.close('serve stopped')));
    await this.core.stopSampling();
    await this.recordings?.close(timelineNow());
    await new Promise<void>((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
    this.closeHttp?.();
  }
}

/**
 * `--watch DIR=GPULIST` → the folder and its GPU list; `--watch DIR` → the folder alone. The list is
 * what follows the last `=`, when it looks like one (indices, bus ids, UUIDs, commas).
 */
export function splitWatch(entry: string): { dir: string; gpus?: string } {
  const i = entry.lastIndexOf('=');
  if (i > 0 && i < entry.length - 1) {
    const list = entry.slice(i + 1);
    if (/^[A-Za-z0-9:.\-]+(,[A-Za-z0-9:.\-]+)*$/.test(list) && !list.includes('/')) return { dir: entry.slice(0, i), gpus: list };
  }
  return { dir: entry };
}
