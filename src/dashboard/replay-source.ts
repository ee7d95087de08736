/**
 * Replays a recording through the dashboard: a virtual clock (speed, pause, seek) over the
 * recorded samples, gaps and image rows. Everything shown at a position is computed from what was
 * recorded up to it; at the end the run panel shows the recording's own summary, the one
 * `genwatt report FILE` prints.
 */
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { firstIndex, lowerBound, type SeriesPoint } from '../series/series.js';
import type { DeviceInfo, Reading } from '../../probes/types.js';
import { PowerHistory } from '../series/power-history.js';
import type { SessionResult } from '../measure/measure-session.js';
import type { LoadedSession } from '../session/reader.js';
import { summarize, type Summary } from '../energy/summary.js';
import type { IdleBaseline, ImageRow } from '../energy/image-rows.js';
import { deviceView, probesText, type DashboardSource, type SourceData, type SourceEvents } from './source.js';
import { timelineNow } from '../../probes/timeline.js';

interface ReplayDevice {
  info: DeviceInfo;
  readings: Reading[];
  power: SeriesPoint[];
  vram: SeriesPoint[];
  history: SeriesPoint[];
  historyBucketMs: number;
}

/** Fields a reading may carry; the latest value of each is shown. */
const FIELDS = [
  'powerWatts',
  'powerKind',
  'energyJoules',
  'vramUsedBytes',
  'utilizationPercent',
  'temperatureC',
  'clockMhz',
  'throttleReasons',
  'cpuPercent',
  'ramUsedBytes',
] as const;

/** One field of a reading copied from another (typed per field, so a field keeps its own type). */
function copyField<K extends (typeof FIELDS)[number]>(out: Reading, from: Reading, f: K): void {
  out[f] = from[f];
}

export interface ReplayOptions {
  speed: number;
  /** Wall clock, for tests. */
  now?: () => number;
  /** Redraw tick while playing, ms. */
  tickMs?: number;
}

export class ReplaySource extends EventEmitter<SourceEvents> implements DashboardSource {
  readonly kind = 'replay' as const;
  readonly startMs: number;
  readonly endMs: number;
  private readonly devs: ReplayDevice[];
  private readonly host: ReplayDevice | undefined;
  private positionMs = 0;
  private playingSinceWall: number | null = null;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private endAnnounced = false;
  speed: number;

  constructor(
    readonly loaded: LoadedSession,
    opts: ReplayOptions,
  ) {
    super();
    this.now = opts.now ?? timelineNow;
    this.speed = opts.speed;
    const doc = loaded.doc;
    const byDevice = new Map<string, Reading[]>();
    for (const r of doc.samples) {
      let arr = byDevice.get(r.deviceId);
      if (!arr) byDevice.set(r.deviceId, (arr = []));
      arr.push(r);
    }
    const times = doc.samples.map((r) => r.tMs);
    const started = Date.parse(doc.startedAt);
    this.startMs = Math.min(Number.isFinite(started) ? started : Infinity, ...(times.length ? [times.reduce((a, b) => Math.min(a, b))] : []));
    if (!Number.isFinite(this.startMs)) this.startMs = 0;
    const ends = [doc.run.endMs ?? 0, ...doc.rows.map((r) => r.windowEndMs), times.length ? times.reduce((a, b) => Math.max(a, b)) : 0];
    const ended = doc.endedAt ? Date.parse(doc.endedAt) : NaN;
    if (Number.isFinite(ended)) ends.push(ended);
    this.endMs = Math.max(this.startMs, ...ends);
    const build = (info: DeviceInfo): ReplayDevice => {
      const readings = (byDevice.get(info.id) ?? []).slice().sort((a, b) => a.tMs - b.tMs);
      const gaps = doc.gaps.filter((g) => g.deviceId === info.id).map((g) => ({ tMs: g.tMs, value: undefined }));
      const merge = (pts: SeriesPoint[]) => [...pts, ...gaps].sort((a, b) => a.tMs - b.tMs);
      const power = merge(readings.filter((r) => r.powerWatts !== undefined).map((r) => ({ tMs: r.tMs, value: r.powerWatts })));
      const vram = merge(readings.filter((r) => r.vramUsedBytes !== undefined).map((r) => ({ tMs: r.tMs, value: r.vramUsedBytes })));
      const h = new PowerHistory(this.startMs);
      for (const r of readings) if (r.powerWatts !== undefined) h.add(r.tMs, r.powerWatts);
      const history = h.snapshot().map((b) => ({ tMs: b.startMs + h.bucketDurationMs / 2, value: b.meanWatts ?? undefined }));
      return { info, readings, power, vram, history, historyBucketMs: h.bucketDurationMs };
    };
    this.devs = doc.devices.filter((d) => !d.host).map(build);
    const hostInfo = doc.devices.find((d) => d.host);
    this.host = hostInfo ? build(hostInfo) : undefined;
  }

  get durationMs(): number {
    return this.endMs - this.startMs;
  }

  /** Position from the recording's start, ms. */
  position(): number {
    if (this.playingSinceWall === null) return this.positionMs;
    return Math.min(this.durationMs, this.positionMs + (this.now() - this.playingSinceWall) * this.speed);
  }

  get paused(): boolean {
    return this.playingSinceWall === null;
  }

  get ended(): boolean {
    return this.position() >= this.durationMs;
  }

  play(): void {
    if (this.playingSinceWall !== null) return;
    if (this.ended) this.positionMs = 0;
    this.playingSinceWall = this.now();
    this.endAnnounced = false;
    this.timer ??= setInterval(() => this.tick(), 250);
    this.timer.unref?.();
    this.emit('change');
  }

  pause(): void {
    if (this.playingSinceWall === null) return;
    this.positionMs = this.position();
    this.playingSinceWall = null;
    this.emit('change');
  }

  togglePause(): void {
    if (this.paused) this.play();
    else this.pause();
  }

  private tick(): void {
    if (this.paused) return;
    if (this.ended) {
      this.positionMs = this.durationMs;
      this.playingSinceWall = null;
      if (!this.endAnnounced) {
        this.endAnnounced = true;
        this.emit('status', `replay finished: the numbers shown are those of genwatt report ${basename(this.loaded.file)}`);
      }
    }
    this.emit('change');
  }

  /** Jumps 5% of the recording (at least 5 s) back or forward. */
  seek(direction: -1 | 1): void {
    const step = Math.max(5000, this.durationMs * 0.05);
    this.seekTo(this.position() + direction * step);
  }

  seekTo(positionMs: number): void {
    const wasPlaying = !this.paused;
    this.positionMs = Math.max(0, Math.min(this.durationMs, positionMs));
    this.playingSinceWall = wasPlaying ? this.now() : null;
    this.emit('change');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.playingSinceWall = null;
  }

  results(): SessionResult[] {
    return [];
  }

  private latestAt(d: ReplayDevice, t: number): Reading | undefined {
    const idx = lowerBound(d.readings, t + 0.5) - 1;
    if (idx < 0) return undefined;
    const out: Reading = { ...d.readings[idx] };
    // Readings may carry different metrics (host CPU and RAM come apart): fill from recent ones.
    for (let k = idx - 1, n = 0; k >= 0 && n < 50; k--, n++) {
      const r = d.readings[k];
      for (const f of FIELDS) if (out[f] === undefined && r[f] !== undefined) copyField(out, r, f);
    }
    return out;
  }

  private cache: { count: number; idle: boolean; secondBucket: number; rows: ImageRow[]; summary: Summary } | null = null;

  /** Rows whose batch closed by `t`, and their summary; recomputed only when that changes. */
  private visible(t: number, idle: IdleBaseline | null): { rows: ImageRow[]; summary: Summary } {
    const doc = this.loaded.doc;
    // Rows are in image order and their windows end in order: binary search for the count.
    const lo = firstIndex(doc.rows, (r) => r.windowEndMs > t);
    const runStart = doc.run.startMs;
    const secondBucket = Math.floor(t / 1000); // images/hour moves with time: refresh each second
    const c = this.cache;
    if (c && c.count === lo && c.idle === (idle !== null) && c.secondBucket === secondBucket) return c;
    const rows = doc.rows.slice(0, lo);
    const summary = summarize(rows, idle ?? undefined, runStart !== null && t > runStart ? (t - runStart) / 1000 : null);
    this.cache = { count: lo, idle: idle !== null, secondBucket, rows, summary };
    return this.cache;
  }

  private maxUpTo(points: readonly SeriesPoint[], from: number, t: number): number | undefined {
    let m: number | undefined;
    for (let i = lowerBound(points, from); i < points.length && points[i].tMs <= t; i++) {
      const v = points[i].value;
      if (v !== undefined && (m === undefined || v > m)) m = v;
    }
    return m;
  }

  data(windowMs: number, opts: { processes?: boolean } = {}): SourceData {
    const doc = this.loaded.doc;
    const pos = this.position();
    const t = this.startMs + pos;
    const atEnd = pos >= this.durationMs;
    const runStart = doc.run.startMs;
    // max and peak cover what the charts show (the window), as live.
    const peakFrom = Math.max(this.startMs, t - windowMs);
    const holdMs = doc.options.gapLimitMs;
    const devices = this.devs.map((d) => {
      const latest = this.latestAt(d, t);
      const lastPower = d.power[lowerBound(d.power, t + 0.5) - 1];
      return deviceView({
        info: d.info,
        latest,
        power: d.power,
        vram: d.vram,
        maxPowerWatts: this.maxUpTo(d.power, peakFrom, t),
        peakVramBytes: this.maxUpTo(d.vram, peakFrom, t),
        stale: !lastPower || lastPower.value === undefined || t - lastPower.tMs > holdMs,
        history: d.history,
        historyBucketMs: d.historyBucketMs,
        // Process lists are live only: a recording has none.
        processes: opts.processes ? null : undefined,
      });
    });
    const idle = doc.idle && doc.idle.endMs <= t ? doc.idle : null;
    const { rows, summary } = atEnd ? { rows: doc.rows, summary: doc.summary } : this.visible(t, idle);
    const hostLatest = this.host ? this.latestAt(this.host, t) : undefined;
    const argv = doc.run.argv ? doc.run.argv.map((a) => basename(a)).join(' ') : (doc.run.outDir ?? '');
    const simulated = doc.devices.some((d) => d.simulated);
    return {
      header: {
        host: doc.host.hostname,
        version: `(recorded by ${doc.genwatt})`,
        probes: probesText(doc.probes),
        recordFile: this.loaded.file,
        recording: false,
        banner: [simulated ? 'SIMULATED GPU recording' : '', this.loaded.finished ? '' : 'unfinished recording'].filter(Boolean).join(', ') || null,
        hostCpuPercent: hostLatest?.cpuPercent,
        hostRamUsedBytes: hostLatest?.ramUsedBytes,
      },
      run: {
        mode: 'replay',
        label: `${doc.run.mode}${argv ? `: ${argv}` : ''}`,
        state: atEnd ? 'ended' : this.paused ? 'paused' : `playing x${this.speed}`,
        imagesDone: rows.length,
        target: doc.rows.length,
        elapsedSeconds: pos / 1000,
        progress: null,
      },
      devices,
      windowFromMs: t - windowMs,
      windowToMs: t,
      holdMs,
      runStartMs: runStart ?? this.startMs,
      nowMs: t,
      summary,
      idleWatts: idle?.totalWatts ?? null,
      rows,
      energyMethod: summary.method,
      replay: { file: this.loaded.file, positionMs: pos, durationMs: this.durationMs, speed: this.speed, paused: this.paused, ended: atEnd },
    };
  }
}
