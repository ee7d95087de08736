/**
 * The Prometheus metrics of `genwatt serve` (prom-client). Names follow Prometheus conventions: base
 * units (`_watts`, `_joules_total`, `_bytes`, `_seconds`, `_celsius`, `_hertz`, `_ratio`). Device
 * gauges are filled at scrape time from the latest reading of each metric, and only while it is
 * fresh: an unknown value is absent from the scrape (Prometheus marks it stale), never 0.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeviceInfo, Gap, Reading } from '../../probes/types.js';
import type { ImageRow } from '../energy/image-rows.js';
import { EnergyTotal } from './energy-total.js';
import { sideOnly } from '../measure/timeline.js';
import { timelineNow } from '../../probes/timeline.js';

export interface MetricsOptions {
  node: string;
  version: string;
  /** A value older than this is not exported. */
  staleMs: number;
  gapLimitMs: number;
  now?: () => number;
}

interface Latest {
  value: number;
  tMs: number;
}

interface DeviceEntry {
  info: DeviceInfo;
  labels: { node: string; device: string; vendor: string; name: string };
  power?: Latest & { kind: string };
  vram?: Latest;
  util?: Latest;
  temp?: Latest;
  clock?: Latest;
  energy: EnergyTotal;
  lastReadingMs: number;
  /** Time of a gap reported after the last reading: values from before it are not current. */
  gapMs: number;
}

/** J per image: 1 J (a tiny GPU, a turbo model) … 50 kJ (an old card, a big model). */
const JOULE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
const SECOND_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly now: () => number;
  private readonly images: Counter<'node' | 'folder' | 'gpus' | 'phase'>;
  private readonly imagesUnmeasured: Counter<'node' | 'folder' | 'gpus'>;
  private readonly imageJoules: Histogram<'node' | 'folder' | 'gpus'>;
  private readonly imageNetJoules: Histogram<'node' | 'folder' | 'gpus'>;
  private readonly imageSeconds: Histogram<'node' | 'folder' | 'gpus'>;
  private readonly gaps: Counter<'node' | 'device' | 'probe'>;
  private readonly restarts: Counter<'node' | 'probe'>;
  private readonly folderUp: Gauge<'node' | 'folder' | 'gpus'>;
  private readonly recordingOk: Gauge<'node'>;
  private readonly recordingErrors: Counter<'node'>;
  private readonly recordingLost: Counter<'node'>;
  private readonly sessions: Counter<'node'>;
  private readonly notes: Counter<'node' | 'source'>;

  constructor(
    devices: readonly DeviceInfo[],
    private readonly opts: MetricsOptions,
  ) {
    this.now = opts.now ?? timelineNow;
    const registers = [this.registry];
    const node = opts.node;
    for (const d of devices) {
      if (d.host) continue;
      this.devices.set(d.id, {
        info: d,
        labels: { node, device: d.id, vendor: d.vendor, name: d.name },
        energy: new EnergyTotal(opts.gapLimitMs, d.powerLimitWatts),
        lastReadingMs: -Infinity,
        gapMs: -Infinity,
      });
    }
    const devLabels = ['node', 'device', 'vendor', 'name'] as const;
    const self = this;
    const gauge = (name: string, help: string, pick: (e: DeviceEntry) => Latest | undefined, scale = 1) =>
      new Gauge({
        name,
        help,
        labelNames: devLabels,
        registers,
        collect() {
          this.reset();
          const t = self.now();
          for (const e of self.devices.values()) {
            const v = pick(e);
            if (v && self.current(e, v.tMs, t)) this.set(e.labels, v.value * scale);
          }
        },
      });
    new Gauge({
      name: 'genwatt_device_power_watts',
      help: 'GPU power now, watts; label kind: instant (a point value) or average (a running average, e.g. nvidia-smi power.draw)',
      labelNames: [...devLabels, 'kind'],
      registers,
      collect() {
        this.reset();
        const t = self.now();
        for (const e of self.devices.values()) if (e.power && self.current(e, e.power.tMs, t)) this.set({ ...e.labels, kind: e.power.kind }, e.power.value);
      },
    });
    new Counter({
      name: 'genwatt_device_energy_joules_total',
      help: 'GPU energy since genwatt serve started, joules: energy-counter differences where the GPU has one, else power integrated between samples; gaps add nothing, restarts never lower it',
      labelNames: devLabels,
      registers,
      collect() {
        this.reset();
        for (const e of self.devices.values()) this.inc(e.labels, e.energy.joules);
      },
    });
    gauge('genwatt_device_memory_used_bytes', 'GPU memory (VRAM) in use, bytes', (e) => e.vram);
    new Gauge({
      name: 'genwatt_device_memory_total_bytes',
      help: 'GPU memory (VRAM) size, bytes',
      labelNames: devLabels,
      registers,
      collect() {
        this.reset();
        for (const e of self.devices.values()) if (e.info.vramTotalBytes !== undefined) this.set(e.labels, e.info.vramTotalBytes);
      },
    });
    gauge('genwatt_device_utilization_ratio', 'GPU utilization, 0 to 1', (e) => e.util, 0.01);
    gauge('genwatt_device_temperature_celsius', 'GPU temperature, degrees Celsius', (e) => e.temp);
    gauge('genwatt_device_clock_hertz', 'GPU graphics (SM) clock, hertz', (e) => e.clock, 1e6);
    new Gauge({
      name: 'genwatt_device_power_limit_watts',
      help: 'GPU power limit, watts',
      labelNames: devLabels,
      registers,
      collect() {
        this.reset();
        for (const e of self.devices.values()) if (e.info.powerLimitWatts !== undefined) this.set(e.labels, e.info.powerLimitWatts);
      },
    });
    new Gauge({
      name: 'genwatt_device_up',
      help: '1 while the device has fresh readings, 0 during a gap',
      labelNames: devLabels,
      registers,
      collect() {
        this.reset();
        const t = self.now();
        for (const e of self.devices.values()) this.set(e.labels, self.current(e, e.lastReadingMs, t) ? 1 : 0);
      },
    });
    this.gaps = new Counter({
      name: 'genwatt_sampler_gaps_total',
      help: 'Stretches without readings (a probe failed, stalled or was late)',
      labelNames: ['node', 'device', 'probe'],
      registers,
    });
    this.restarts = new Counter({
      name: 'genwatt_probe_restarts_total',
      help: 'Vendor tool restarts (it died or stalled)',
      labelNames: ['node', 'probe'],
      registers,
    });
    // `gpus`: the GPU set a folder is charged to (`--watch DIR=0,1`: device ids; `all`).
    this.images = new Counter({
      name: 'genwatt_images_total',
      help: 'Images completed in a watched folder; phase warmup = the first batch of a run (model load), steady = the rest',
      labelNames: ['node', 'folder', 'gpus', 'phase'],
      registers,
    });
    this.imagesUnmeasured = new Counter({
      name: 'genwatt_images_unmeasured_total',
      help: 'Images whose energy is unknown (no power data over their window); not in the histograms',
      labelNames: ['node', 'folder', 'gpus'],
      registers,
    });
    this.imageJoules = new Histogram({
      name: 'genwatt_image_energy_joules',
      help: "GPU energy per steady image (gross, over the folder's GPU set), joules",
      labelNames: ['node', 'folder', 'gpus'],
      buckets: JOULE_BUCKETS,
      registers,
    });
    this.imageNetJoules = new Histogram({
      name: 'genwatt_image_net_energy_joules',
      help: 'GPU energy per steady image net of idle power, joules',
      labelNames: ['node', 'folder', 'gpus'],
      buckets: JOULE_BUCKETS,
      registers,
    });
    this.imageSeconds = new Histogram({
      name: 'genwatt_image_seconds',
      help: 'Seconds per steady image',
      labelNames: ['node', 'folder', 'gpus'],
      buckets: SECOND_BUCKETS,
      registers,
    });
    this.folderUp = new Gauge({
      name: 'genwatt_watch_folder_up',
      help: '1 while the folder is watched, 0 while genwatt waits for it to exist',
      labelNames: ['node', 'folder', 'gpus'],
      registers,
    });
    this.recordingOk = new Gauge({
      name: 'genwatt_recording_ok',
      help: '1 while recordings are written, 0 while the disk refuses writes',
      labelNames: ['node'],
      registers,
    });
    this.recordingErrors = new Counter({
      name: 'genwatt_recording_write_errors_total',
      help: 'Times writing a recording started failing (disk full, I/O error)',
      labelNames: ['node'],
      registers,
    });
    this.recordingLost = new Counter({
      name: 'genwatt_recording_lost_records_total',
      help: 'Records dropped because the disk refused them for too long',
      labelNames: ['node'],
      registers,
    });
    this.sessions = new Counter({
      name: 'genwatt_sessions_recorded_total',
      help: 'Session files finished in the record folder',
      labelNames: ['node'],
      registers,
    });
    this.notes = new Counter({
      name: 'genwatt_notes_total',
      help: 'Faults and notices logged, by source (a probe, watcher, recorder)',
      labelNames: ['node', 'source'],
      registers,
    });
    new Gauge({ name: 'genwatt_build_info', help: 'genwatt build: version and Node.js version', labelNames: ['node', 'version', 'nodejs'], registers }).set(
      { node, version: opts.version, nodejs: process.version },
      1,
    );
    this.recordingOk.set({ node }, 1);
    this.recordingErrors.inc({ node }, 0);
    this.recordingLost.inc({ node }, 0);
    this.sessions.inc({ node }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: 'genwatt_' });
  }

  /** A value is exported while it is fresh and no gap came after it. */
  private current(e: DeviceEntry, tMs: number, nowMs: number): boolean {
    return nowMs - tMs <= this.opts.staleMs && tMs >= e.gapMs;
  }

  reading(r: Reading): void {
    const e = this.devices.get(r.deviceId);
    if (!e) return;
    if (!sideOnly(r)) e.lastReadingMs = Math.max(e.lastReadingMs, r.tMs);
    if (r.powerWatts !== undefined) e.power = { value: r.powerWatts, tMs: r.tMs, kind: r.powerKind ?? 'instant' };
    if (r.vramUsedBytes !== undefined) e.vram = { value: r.vramUsedBytes, tMs: r.tMs };
    if (r.utilizationPercent !== undefined) e.util = { value: r.utilizationPercent, tMs: r.tMs };
    if (r.temperatureC !== undefined) e.temp = { value: r.temperatureC, tMs: r.tMs };
    if (r.clockMhz !== undefined) e.clock = { value: r.clockMhz, tMs: r.tMs };
    e.energy.add(r);
  }

  gap(g: Gap): void {
    const ids = g.deviceId === '*' ? [...this.devices.keys()] : [g.deviceId];
    for (const id of ids) {
      const e = this.devices.get(id);
      if (e) {
        e.energy.gap();
        e.gapMs = Math.max(e.gapMs, g.tMs);
      }
      this.gaps.inc({ node: this.opts.node, device: id, probe: g.probe ?? 'sampler' });
    }
  }

  restart(probe: string): void {
    this.restarts.inc({ node: this.opts.node, probe });
  }

  note(source: string): void {
    this.notes.inc({ node: this.opts.node, source });
  }

  private readonly gpuSets = new Map<string, string>();

  folder(folder: string, up: boolean, gpus = 'all'): void {
    this.gpuSets.set(folder, gpus);
    this.folderUp.set({ node: this.opts.node, folder, gpus }, up ? 1 : 0);
    this.images.inc({ node: this.opts.node, folder, gpus, phase: 'steady' }, 0);
    this.images.inc({ node: this.opts.node, folder, gpus, phase: 'warmup' }, 0);
  }

  rows(folder: string, rows: readonly ImageRow[]): void {
    const l = { node: this.opts.node, folder, gpus: this.gpuSets.get(folder) ?? 'all' };
    for (const r of rows) {
      this.images.inc({ ...l, phase: r.warmup ? 'warmup' : 'steady' });
      if (r.warmup) continue;
      if (r.joules === null) {
        this.imagesUnmeasured.inc(l);
        continue;
      }
      this.imageJoules.observe(l, r.joules);
      if (r.netJoules !== null) this.imageNetJoules.observe(l, r.netJoules);
      this.imageSeconds.observe(l, r.seconds);
    }
  }

  recording(state: { ok: boolean; failedNow?: boolean; lost?: number; finished?: boolean }): void {
    const l = { node: this.opts.node };
    this.recordingOk.set(l, state.ok ? 1 : 0);
    if (state.failedNow) this.recordingErrors.inc(l);
    if (state.lost) this.recordingLost.inc(l, state.lost);
    if (state.finished) this.sessions.inc(l);
  }

  /** Energy so far per device (for logs and tests). */
  energyJoules(id: string): number | undefined {
    return this.devices.get(id)?.energy.joules;
  }
}
