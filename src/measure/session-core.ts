/**
 * What every measurement shares — a run, a watch, monitoring, the dashboard's launcher and `serve`:
 * device detection, the sampler and its sanitized sink, the timeline, notes, the idle baseline, the
 * session header, and a watch on genwatt's own event loop (a stall longer than the gap limit is a
 * recorded gap with its cause). Everything that enters a session leaves it as one `record` event,
 * which the recorder listens to.
 *
 * Events: `reading` (Reading), `gap` (Gap), `note` (Note), `restart` (probe, reason),
 * `record` (SessionRecord, urgent: boolean), `process-look` (see ProcessLookHandler).
 */
import { EventEmitter } from 'node:events';
import type { DeviceInfo, Gap, Probe, ProbeName, Reading } from '../../probes/types.js';
import { isGpu } from '../../probes/types.js';
import { idleBaseline, type IdleBaseline } from '../energy/idle-baseline.js';
import { genwattVersion } from '../package-info.js';
import { hostFacts } from '../session/host-facts.js';
import {
  SCHEMA_NAME,
  SCHEMA_VERSION,
  type HeaderRecord,
  type Note,
  type ProbeReport,
  type RunInfo,
  type SessionOptions,
  type SessionRecord,
} from '../session/types.js';
import { detectDevices, NoGpuError } from './detect-devices.js';
import { intervalPolicy, type IntervalPolicy } from './interval-policy.js';
import { LoopWatch, stallReason } from './loop-watch.js';
import { ProcessWatch, type ProcessLookHandler } from './process-watch.js';
import { HostMemoryReader } from './host-memory.js';
import { serverPid } from './listening-pid.js';
import { sanitizeReading } from '../../probes/sanity.js';
import { DevicePlausibility } from '../../probes/plausibility.js';
import { Sampler } from './sampler.js';
import { Timeline, type TimelineOptions } from './timeline.js';
import { averageWindows } from '../energy/boxcar.js';
import { meterGapLimitMs, meterScopes } from '../energy/image-rows.js';
import type { MeterSpec } from '../../probes/meter/meter-spec.js';
import { makeRedactor } from '../session/redact.js';
import { timelineNow, WallStepDetector } from '../../probes/timeline.js';

export interface CoreConfig {
  /** Forced probes, or undefined to auto-detect. */
  probes?: ProbeName[];
  intervalMs: number;
  /** Use the simulated GPU when no real GPU is found (the demo). */
  simulateIfNoGpu?: boolean;
  /** Simulated GPUs to show (`serve --sim-gpus`). */
  simGpus?: number;
  /** The simulated GPUs list no processes. */
  simNoProcessList?: boolean;
  /** A measured run wakes sleeping NVIDIA GPUs (and says so); monitoring never does. */
  wakeSleeping?: boolean;
  /** External power meters (`--meter`, `--meter-cmd`). */
  meters?: MeterSpec[];
  /** Read the generator's host memory and the swap counters once a second (measured runs). */
  hostMemory?: boolean;
  timeline?: TimelineOptions;
}

/** Least time between two on-demand counter reads, ms (below COUNTER_EDGE_MS, so a batch's last file still gets one within reach). */
export const COUNTER_READ_SPACING_MS = 100;
/**
 * A run's energy counter period, ms. On the lent H100 a read costs 4-5 ms of CPU, more under load
 * (the driver waits for the GPU's firmware), a hundred times any other NVML call; every 2 s
 * is the estimate for keeping a run under 0.025 CPU s/s there (bench/RESULTS.md, 2026-12-08: not yet
 * measured), and image edges lie between reads (window-energy.ts counterAtEdge), within ~1.5 % of the
 * counter's own difference on the H100 traces.
 */
export const RUN_COUNTER_INTERVAL_MS = 2000;

export interface SessionCoreEvents {
  reading: [r: Reading];
  gap: [g: Gap];
  note: [n: Note];
  restart: [probe: ProbeName, reason: string];
  /** urgent: flushed to disk at once (an image, the end), not with the next batch of samples. */
  record: [rec: SessionRecord, urgent: boolean];
  'process-look': Parameters<ProcessLookHandler>;
}

export class SessionCore extends EventEmitter<SessionCoreEvents> {
  readonly policy: IntervalPolicy;
  readonly timeline: Timeline;
  readonly version = genwattVersion();
  /** Secrets (flag values, tokens, the environment's secret values) never reach a record. */
  readonly redactor = makeRedactor();
  devices: DeviceInfo[] = [];
  probeReports: ProbeReport[] = [];
  /** The GPUs (host pseudo-device excluded). */
  gpuIds: string[] = [];
  private probes: Probe[] = [];
  private sampler: Sampler | undefined;
  private loopWatch: LoopWatch | undefined;
  /** The processes on each GPU, read while someone needs them (see acquire in ProcessWatch). */
  processWatch: ProcessWatch | undefined;
  /** The generator's process group (its pid), while a command runs. */
  generatorGroup: number | undefined;
  /** A local server backend's process (found by its port): its host memory is the generator's. */
  private serverPid: number | undefined;

  /** Finds the local server behind a backend URL (asynchronously) and measures its host memory from then on. */
  measureServer(url: string): void {
    void serverPid(url).then(
      (pid) => {
        this.serverPid = pid ?? undefined;
        this.readHostMemory();
      },
      () => undefined, // no /proc: the server's memory stays n/a
    );
  }

  constructor(readonly config: CoreConfig) {
    super();
    this.policy = intervalPolicy(config.intervalMs);
    this.timeline = new Timeline(config.timeline);
  }

  /** Detects devices. Throws {@link NoGpuError} when no GPU is found and none is simulated. */
  async detect(): Promise<void> {
    if (this.devices.length) return;
    try {
      const d = await detectDevices({
        probes: this.config.probes,
        simulateIfNoGpu: this.config.simulateIfNoGpu,
        simGpus: this.config.simGpus,
        simNoProcessList: this.config.simNoProcessList,
        wakeSleeping: this.config.wakeSleeping,
        meters: this.config.meters,
      });
      this.probes.push(...d.probes);
      this.devices.push(...d.devices);
      this.probeReports.push(...d.reports);
    } catch (err) {
      if (err instanceof NoGpuError) this.probeReports.push(...err.probes);
      throw err;
    }
    this.gpuIds = this.devices.filter(isGpu).map((d) => d.id);
    this.timeline.averageWindows = averageWindows(this.devices);
  }

  /** True when only the simulated GPU is measured. */
  get simulated(): boolean {
    return this.devices.some((d) => d.simulated);
  }

  /** Environment for a generator started now (the simulated GPU follows its child). */
  childEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const p of this.probes) Object.assign(env, p.childEnv?.() ?? {});
    return env;
  }

  childExited(): void {
    for (const p of this.probes) p.onChildExit?.();
  }

  /** One record into the session: whoever records listens to `record`. Secrets are redacted here. */
  record(rec: SessionRecord, urgent = false): void {
    this.emit('record', this.redactRecord(rec), urgent);
  }

  private redactRecord(rec: SessionRecord): SessionRecord {
    const r = this.redactor;
    switch (rec.type) {
      case 'header':
        return { ...rec, run: { ...rec.run, argv: rec.run.argv && r.argv(rec.run.argv), tags: r.tags(rec.run.tags) } };
      case 'tags':
        return { ...rec, tags: r.tags(rec.tags) };
      case 'note':
        return { ...rec, message: r.text(rec.message) };
      case 'log':
        return { ...rec, line: r.text(rec.line) };
      default:
        return rec;
    }
  }

  note(source: string, message: string): Note {
    const n: Note = { tMs: timelineNow(), source, message: this.redactor.text(message) };
    this.record({ type: 'note', ...n });
    this.emit('note', n);
    return n;
  }

  /** Readings the hardware cannot produce are left out, per device (probes/plausibility.ts). */
  private readonly plausible = new Map<string, DevicePlausibility>();

  private reading(raw: Reading): void {
    let check = this.plausible.get(raw.deviceId);
    if (!check) {
      const d = this.devices.find((x) => x.id === raw.deviceId);
      this.plausible.set(raw.deviceId, (check = new DevicePlausibility(raw.deviceId, d?.powerLimitWatts)));
    }
    const v = check.check(raw);
    if (v.gapReason) this.gap({ deviceId: raw.deviceId, tMs: raw.tMs, reason: v.gapReason });
    if (v.note) this.note('genwatt', v.note);
    const r = v.reading;
    this.timeline.add(r);
    this.record({ type: 'sample', ...r });
    this.emit('reading', r);
  }

  private gap(g: Gap): void {
    this.timeline.gap(g);
    this.record({ type: 'gap', ...g });
    this.emit('gap', g);
  }

  /** Starts sampling every probe (the energy counter read every `counterMs`) and the event-loop watch. */
  startSampling(counterMs: number): void {
    const sink = {
      reading: (r: Reading) => this.reading(r),
      gap: (g: Gap) => this.gap(g),
      note: (probe: ProbeName, message: string) => void this.note(probe, message),
      restart: (probe: ProbeName, reason: string) => void this.emit('restart', probe, reason),
    };
    for (const p of this.probes) p.setCounterInterval?.(counterMs);
    this.sampler = new Sampler(this.probes, sink, { policy: this.policy }, (p) => this.devices.filter((d) => d.probe === p.name).map((d) => d.id));
    // One wake-up per sampling tick serves the loop watch and the wall-clock check too (few timers:
    // an idle node pays for every wake-up).
    const loopWatch = new LoopWatch(this.policy, (stalledMs, fromMs, cpuMs) => {
      const reason = stallReason(stalledMs, cpuMs, this.policy.stallGapMs);
      for (const id of this.gpuIds) this.gap({ deviceId: id, tMs: fromMs, reason });
      this.note('genwatt', reason);
    });
    // Durations and windows follow the monotonic timeline; a wall-clock step is said, with its size.
    const steps = new WallStepDetector();
    loopWatch.every(1000, () => {
      const stepMs = steps.check();
      if (stepMs !== null)
        this.note(
          'genwatt',
          `the wall clock stepped ${stepMs > 0 ? 'forward' : 'back'} by ${Math.abs(stepMs / 1000).toFixed(1)} s (now ${new Date().toISOString()}): durations and energy follow the monotonic clock; file times are placed by their age`,
        );
    });
    if (this.config.hostMemory) {
      this.hostMemory = new HostMemoryReader();
      loopWatch.every(1000, () => this.readHostMemory());
    }
    this.loopWatch = loopWatch;
    const tickMs = this.sampler.start(() => loopWatch.tick());
    loopWatch.start(tickMs ?? undefined);
    this.processWatch = new ProcessWatch(this.probes, (p) => this.devices.filter((d) => d.probe === p.name && isGpu(d)).map((d) => d.id), {
      everyMs: 1000,
      generatorGroup: () => this.generatorGroup,
      reading: (r) => this.reading(sanitizeReading(r)),
      onLook: (onGenerator, lists, failed) => this.emit('process-look', onGenerator, lists, failed),
      onError: (err) => this.note('genwatt', `process lists: ${err.message}`),
    });
  }

  /** True when some probe can list the processes on its GPUs (NVML; amd-smi where it gives one). */
  get canListProcesses(): boolean {
    return this.probes.some((p) => typeof p.processes === 'function');
  }

  private lastCounterReadMs = -Infinity;
  private counterTimer: NodeJS.Timeout | undefined;
  private counterForced = false;

  /**
   * Every probe's energy counter now: `force` at a run's start and end and the idle window's end;
   * otherwise an image completed, and a probe reads only devices whose image edges need it (see
   * Probe.readCounterNow). At most one read per {@link COUNTER_READ_SPACING_MS}: the files of a batch
   * arrive together, and a read costs ~5 ms; a call that comes sooner gets a read that many ms after the last one.
   */
  readCountersNow(force = false): void {
    this.counterForced ||= force;
    const now = timelineNow();
    const wait = this.lastCounterReadMs + COUNTER_READ_SPACING_MS - now;
    if (wait > 0) {
      this.counterTimer ??= setTimeout(() => {
        this.counterTimer = undefined;
        this.readCountersNow();
      }, wait);
      return;
    }
    this.lastCounterReadMs = now;
    const forced = this.counterForced;
    this.counterForced = false;
    for (const p of this.probes) {
      try {
        p.readCounterNow?.(forced);
      } catch {
        // a failed extra read leaves the edge to the scheduled reads or to power
      }
    }
  }

  /** Read costly counters only on these GPUs (a run's charged ones); null: all. */
  counterDevices(ids: readonly string[] | null): void {
    for (const p of this.probes) p.setCounterDevices?.(ids);
  }

  private hostMemory: HostMemoryReader | undefined;

  /**
   * The generator's host memory and the swap counters now (once a second while sampling, and when the
   * generator or a local server's process becomes known, and at the end: a run under a second still has them).
   */
  readHostMemory(): void {
    const r = this.hostMemory?.read(this.generatorGroup ?? this.serverPid, timelineNow());
    if (r) this.reading(sanitizeReading(r));
  }

  /** Stops sampling and closes every probe. */
  async stopSampling(): Promise<void> {
    this.readHostMemory();
    this.hostMemory = undefined;
    if (this.counterTimer) clearTimeout(this.counterTimer);
    this.processWatch?.stop();
    this.loopWatch?.stop();
    this.loopWatch = undefined;
    if (this.sampler) await this.sampler.stop();
    else await this.dispose();
    this.sampler = undefined;
  }

  /** Releases detected probes of a session that will not run. */
  async dispose(): Promise<void> {
    await Promise.all(this.probes.splice(0).map((p) => p.close().catch(() => undefined)));
  }

  /** External meters (`--meter`): their own figures, never summed with the GPUs. */
  get meters(): Map<string, string> {
    return meterScopes(this.devices);
  }

  /** The idle baseline over [startMs, endMs] of every GPU (and of each meter, apart), from the timeline. */
  idleOver(startMs: number, endMs: number): IdleBaseline {
    const meters = this.timeline
      .series([...this.meters.keys()])
      .map((s) => ({ ...s, meter: this.meters.get(s.deviceId), gapLimitMs: meterGapLimitMs(this.policy.gapLimitMs) }));
    return idleBaseline([...this.timeline.series(this.gpuIds), ...meters], startMs, endMs, this.policy.gapLimitMs);
  }

  /** The header record that opens a session's journal. */
  header(startedMs: number, options: SessionOptions, run: RunInfo): HeaderRecord {
    return {
      type: 'header',
      schema: SCHEMA_NAME,
      schemaVersion: SCHEMA_VERSION,
      genwatt: this.version,
      startedAt: new Date(startedMs).toISOString(),
      host: hostFacts(),
      devices: this.devices,
      probes: this.probeReports,
      options,
      run,
    };
  }

  /** The options a session records, from its settings and the interval policy. */
  sessionOptions(o: { idleSeconds: number; warmupBatches: number; batchGapMs: number | null; count: number | null }): SessionOptions {
    return {
      intervalMs: this.policy.intervalMs,
      idleSeconds: o.idleSeconds,
      warmupBatches: o.warmupBatches,
      gapLimitMs: this.policy.gapLimitMs,
      batchGapMs: o.batchGapMs,
      count: o.count,
    };
  }
}
