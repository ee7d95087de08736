/**
 * `genwatt serve`: a node's long-running measurement. Samples every detected device for as long as
 * it runs, attributes energy to the images of each watched folder, records sessions on a rotation,
 * and exposes it all over HTTP for Prometheus. Events: `log` (message).
 */
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import type { Server } from 'node:http';
import type { DeviceInfo, Gap, Probe, ProbeName, Reading } from '../../probes/types.js';
import { detectDevices } from '../detect-devices.js';
import { windowEnergy } from '../energy.js';
import { hostFacts } from '../host-facts.js';
import type { IdleBaseline } from '../image-rows.js';
import { defaultGapLimitMs } from '../measure-session.js';
import { genwattVersion } from '../package-info.js';
import { Sampler } from '../sampler.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type HeaderRecord, type Note, type ProbeReport, type SessionMode } from '../session-types.js';
import { Timeline } from '../timeline.js';
import { FolderTracker, type SegmentStart } from './folder-tracker.js';
import { startHttp } from './http-server.js';
import { ServeMetrics } from './metrics.js';
import { Recordings, type RotateMode } from './recordings.js';

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
  /** Longest a recording file may cover, ms (a longer run continues in a new file). */
  maxFileMs: number;
}

const HOUR_MS = 3600_000;

export class ServeNode extends EventEmitter {
  readonly version = genwattVersion();
  readonly timeline = new Timeline({ liveCapacity: 8 });
  devices: DeviceInfo[] = [];
  probeReports: ProbeReport[] = [];
  metrics!: ServeMetrics;
  idle: IdleBaseline | undefined;
  url = '';
  private probes: Probe[] = [];
  private sampler: Sampler | undefined;
  private server: Server | undefined;
  private recordings: Recordings | undefined;
  private readonly trackers: FolderTracker[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly startedMs = Date.now();
  private readonly gapLimitMs: number;
  private gpuIds: string[] = [];

  constructor(readonly config: ServeConfig) {
    super();
    this.gapLimitMs = defaultGapLimitMs(config.intervalMs);
  }

  private log(message: string): void {
    this.emit('log', message);
  }

  private note(source: string, message: string): void {
    const n: Note = { tMs: Date.now(), source, message };
    this.metrics?.note(source);
    this.recordings?.note(n);
    this.log(`${source}: ${message}`);
  }

  private header(mode: SessionMode, outDir: string | null, startMs: number, warmupBatches: number, tags: Record<string, string>): HeaderRecord {
    const c = this.config;
    return {
      type: 'header',
      schema: SCHEMA_NAME,
      schemaVersion: SCHEMA_VERSION,
      genwatt: this.version,
      startedAt: new Date(startMs).toISOString(),
      host: hostFacts(),
      devices: this.devices,
      probes: this.probeReports,
      options: { intervalMs: c.intervalMs, idleSeconds: c.idleSeconds, warmupBatches, gapLimitMs: this.gapLimitMs, batchGapMs: c.batchGapMs, count: null },
      run: { mode, argv: null, cwd: process.cwd(), outDir, tags, startMs, endMs: null, exit: null, endReason: null },
    };
  }

  /** Detects devices, starts sampling, watching, recording and the HTTP server. */
  async start(): Promise<void> {
    const c = this.config;
    const d = await detectDevices({ probes: c.probes, simGpus: c.simGpus });
    this.probes = d.probes;
    this.devices = d.devices;
    this.probeReports = d.reports;
    this.gpuIds = this.devices.filter((x) => !x.host).map((x) => x.id);
    this.metrics = new ServeMetrics(this.devices, { node: c.node, version: this.version, staleMs: Math.max(this.gapLimitMs, 2000), gapLimitMs: this.gapLimitMs });
    if (c.recordDir) {
      this.recordings = new Recordings({
        dir: resolve(c.recordDir),
        node: c.node,
        rotate: c.rotate,
        maxSegmentMs: c.maxFileMs,
        header: (...a) => this.header(...a),
        timeline: this.timeline,
        idle: () => this.idle,
        log: (m) => this.log(m),
        onState: (s) => this.metrics.recording(s),
      });
    }
    const { server, address } = await startHttp(c.host, c.port, {
      registry: this.metrics.registry,
      recordDir: c.recordDir ? resolve(c.recordDir) : null,
      health: () => ({ node: c.node, uptimeSeconds: Math.round((Date.now() - this.startedMs) / 1000), devices: this.gpuIds, watching: this.trackers.map((t) => t.dir), idleWatts: this.idle?.totalWatts ?? null }),
    });
    this.server = server;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    const sink = {
      reading: (r: Reading) => {
        this.timeline.add(r);
        this.metrics.reading(r);
        this.recordings?.reading(r);
      },
      gap: (g: Gap) => {
        this.timeline.gap(g);
        this.metrics.gap(g);
        this.recordings?.gap(g);
      },
      note: (probe: ProbeName, message: string) => this.note(probe, message),
      restart: (probe: ProbeName) => this.metrics.restart(probe),
    };
    for (const p of this.probes) p.setCounterInterval?.(c.counterIntervalMs ?? 1000);
    this.sampler = new Sampler(this.probes, sink, { intervalMs: c.intervalMs }, (p) => this.devices.filter((x) => x.probe === p.name).map((x) => x.id));
    this.sampler.start();
    this.recordings?.startMonitor(Date.now());
    for (const dir of c.watch) this.watchFolder(resolve(dir));
    this.timers.push(setTimeout(() => this.measureIdle(), c.idleSeconds * 1000 + Math.min(300, 2 * c.intervalMs)));
    // Keep only the samples open windows still need (the recordings have everything).
    this.timers.push(setInterval(() => this.timeline.retainFrom(Math.min(Date.now() - 60_000, ...this.trackers.map((t) => t.needsSamplesFromMs))), 5000));
    if (c.rotate === 'hour') this.scheduleHour();
    this.timers.push(setInterval(() => this.splitOverlong(), Math.min(10_000, Math.max(200, c.maxFileMs / 10))));
  }

  private measureIdle(): void {
    const startMs = this.startedMs;
    const endMs = startMs + this.config.idleSeconds * 1000;
    if (this.config.idleSeconds <= 0) return;
    const devices = this.gpuIds.map((id) => {
      const fig = windowEnergy(this.timeline.devices.get(id)?.samples ?? [], startMs, endMs, { gapLimitMs: this.gapLimitMs });
      const watts = fig.joules === null ? null : fig.joules / ((endMs - startMs) / 1000);
      return { deviceId: id, watts, method: fig.method, coverage: fig.coverage, flagged: fig.flagged };
    });
    const totalWatts = devices.every((x) => x.watts !== null) ? devices.reduce((a, x) => a + x.watts!, 0) : null;
    this.idle = { startMs, endMs, devices, totalWatts };
    this.recordings?.idleKnown();
    this.log(`idle baseline over the first ${this.config.idleSeconds} s: ${totalWatts === null ? 'unknown (no power data)' : `${totalWatts.toFixed(1)} W`}`);
  }

  private watchFolder(dir: string): void {
    const c = this.config;
    const t = new FolderTracker(dir, {
      runGapMs: c.runGapMs,
      batchGapMs: c.batchGapMs,
      warmupBatches: c.warmupBatches,
      gapLimitMs: this.gapLimitMs,
      series: () => this.timeline.series(this.gpuIds),
      idle: () => this.idle,
    });
    this.trackers.push(t);
    this.metrics.folder(dir, false);
    t.on('ready', () => {
      this.metrics.folder(dir, true);
      this.log(`watching ${dir}`);
    });
    t.on('waiting', () => {
      this.metrics.folder(dir, false);
      this.log(`waiting for ${dir} to exist`);
    });
    t.on('note', (m: string) => {
      if (/was removed/.test(m)) this.metrics.folder(dir, false);
      this.note('watcher', m);
    });
    t.on('segment-start', (s: SegmentStart) => this.recordings?.segmentStart(dir, s));
    t.on('image', (ev) => this.recordings?.image(dir, ev));
    t.on('batch', (b) => this.recordings?.batch(dir, b));
    t.on('rows', (rows) => this.metrics.rows(dir, rows));
    t.on('segment-end', (e) => this.recordings?.segmentEnd(dir, e));
    t.start();
  }

  private scheduleHour(): void {
    const now = Date.now();
    const next = Math.ceil((now + 1) / HOUR_MS) * HOUR_MS;
    const timer = setTimeout(() => {
      for (const t of this.trackers) t.split('hourly rotation');
      this.recordings?.rotateMonitor(Date.now());
      this.scheduleHour();
    }, next - now);
    this.timers.push(timer);
  }

  private splitOverlong(): void {
    const long = new Set(this.recordings?.overlong(Date.now()) ?? []);
    for (const t of this.trackers) if (long.has(t.dir)) t.split(`file reached its length limit (${Math.round(this.config.maxFileMs / 60000)} min)`);
  }

  /** Stops everything; finished recordings are written, unfinished journals stay readable. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearTimeout(t);
    await Promise.all(this.trackers.map((t) => t.close('serve stopped')));
    await this.sampler?.stop();
    await Promise.all(this.probes.map((p) => p.close().catch(() => undefined)));
    await this.recordings?.close(Date.now());
    await new Promise<void>((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
