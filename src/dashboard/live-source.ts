/**
 * The live side of the dashboard: one measurement session at a time — monitoring, or a run (from
 * the command line or a launcher preset) — and display buffers that outlive the sessions, so the
 * sparklines run on across a switch. After a run ends, monitoring resumes and the run's numbers
 * stay on screen.
 */
import type { BackendProgress } from '../backends/backend-types.js';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { SeriesPoint } from '../series/series.js';
import type { ProcessView } from '../../components/view-model.js';
import type { ListedProcess } from '../measure/process-watch.js';
import type { DeviceInfo, Gap, Reading } from '../../probes/types.js';
import type { ImageRow } from '../energy/image-rows.js';
import { MeasureSession, type MeasureConfig, type SessionResult } from '../measure/measure-session.js';
import type { Preset } from '../backends/presets.js';
import { defaultRecordPath } from '../session/recorder.js';
import { Timeline } from '../measure/timeline.js';
import { PowerHistory } from '../series/power-history.js';
import type { Note, StopReason } from '../session/types.js';
import { summarize } from '../energy/summary.js';
import { intervalPolicy } from '../measure/interval-policy.js';
import { etaSeconds } from '../measure/eta.js';
import { deviceView, maxOfPoints, probesText, type DashboardSource, type SourceData, type SourceEvents } from './source.js';
import { fmtJoules, fmtSeconds } from '../text/format.js';
import type { LiveOptions, RunSpec } from './live-options.js';
import { timelineNow } from '../../probes/timeline.js';
import { measureConfigOf, presetRunSpec } from './live-run-spec.js';

export type { LiveOptions, RunSpec } from './live-options.js';

/** Process lists as the panel shows them (undefined: not read yet; null: not listable). */
function processViews(list: readonly ListedProcess[] | null | undefined): ProcessView[] | null | undefined {
  if (list === undefined || list === null) return list;
  return list.map((p) => ({ pid: p.pid, name: p.name, usedBytes: p.usedBytes, generator: p.generator }));
}

/** `request 2/4 · step 13/20` for a server backend's progress. */
export function progressText(p: BackendProgress): string {
  const req = p.requests > 1 ? `request ${p.request}/${p.requests}` : '';
  const step = p.step !== null && p.steps ? `step ${p.step}/${p.steps}` : '';
  return [req, step].filter(Boolean).join(' · ') || 'generating';
}

/** Live points kept per device for the sparklines: 10 minutes at 10 Hz. */
const LIVE_POINTS = 6000;

export class LiveSource extends EventEmitter<SourceEvents> implements DashboardSource {
  readonly kind = 'live' as const;
  private session: MeasureSession | null = null;
  private sessionEnded: Promise<SessionResult | null> = Promise.resolve(null);
  private label = '';
  /** Display series that outlive the sessions (no energy samples kept: sessions have their own). */
  private readonly display = new Timeline({ liveCapacity: LIVE_POINTS, keepSamples: false });
  /** Whole-run power per device, for the history chart. */
  private readonly history = new Map<string, PowerHistory>();
  private devices: DeviceInfo[] = [];
  private hostDevice: DeviceInfo | undefined;
  private readonly finished: SessionResult[] = [];
  /** Rows and idle of the run on screen (the active one, else the last one). */
  private shownRows: ImageRow[] = [];
  private shownIdle: SessionResult['doc']['idle'] = null;
  private shownRunStartMs: number | null = null;
  private shownSummary: SessionResult['summary'] | null = null;
  private closing = false;
  private switching = false;
  private readonly originMs = timelineNow();
  /** The header clock's start, and the mode of the session that started it. */
  private clockStartMs: number | null = null;
  private clockMode: string | null = null;
  banner: string | null = null;
  /** How the last run ended (shown while monitoring after it). */
  private lastRun: string | null = null;

  constructor(readonly opts: LiveOptions) {
    super();
  }

  private changed(): void {
    this.emit('change');
  }

  private status(msg: string): void {
    this.emit('status', msg);
  }

  private onReading = (r: Reading): void => {
    this.display.add(r);
    if (r.powerWatts !== undefined) {
      let h = this.history.get(r.deviceId);
      if (!h) this.history.set(r.deviceId, (h = new PowerHistory(this.originMs)));
      h.add(r.tMs, r.powerWatts);
    }
    this.changed();
  };

  private onGap = (g: Gap): void => {
    this.display.gap(g);
    this.changed();
  };

  private config(mode: MeasureConfig['mode'], spec: Partial<RunSpec> & { record: string | null }): MeasureConfig {
    return measureConfigOf(this.opts, mode, spec);
  }

  /** Detects devices and starts: the given run, or monitoring. Throws NoGpuError. */
  async start(initial: RunSpec | null, opts: { demoIfSimulated?: () => RunSpec | Promise<RunSpec>; monitorRecord?: string | null } = {}): Promise<void> {
    if (initial) return this.begin(new MeasureSession(this.config(initial.mode, initial)), initial.label);
    const s = new MeasureSession(this.config('monitor', { record: opts.monitorRecord ?? null }));
    await s.detect();
    if (s.simulated && opts.demoIfSimulated) {
      await s.dispose();
      const demo = await opts.demoIfSimulated();
      this.banner = 'NO GPU FOUND: simulated GPU, demo numbers';
      return this.begin(new MeasureSession(this.config(demo.mode, demo)), demo.label);
    }
    return this.begin(s, '');
  }

  private async begin(s: MeasureSession, label: string): Promise<void> {
    if (s.devices.length === 0) await s.detect();
    // One clock per run: a run starts it (its idle baseline included); monitoring after monitoring
    // (r starts or stops a recording) keeps it.
    if (s.config.mode !== 'monitor' || this.clockMode !== 'monitor') this.clockStartMs = s.startedMs;
    this.clockMode = s.config.mode;
    this.session = s;
    // The process panel stays open across runs: the new session's lists are watched.
    this.showProcesses(this.processesShown);
    this.label = label;
    this.devices = s.devices.filter((d) => !d.host);
    this.hostDevice = s.devices.find((d) => d.host);
    if (s.simulated && !this.banner) this.banner = 'SIMULATED GPU: demo numbers, not hardware';
    const isRun = s.config.mode !== 'monitor';
    if (isRun) {
      this.shownRows = [];
      this.shownIdle = null;
      this.shownSummary = null;
      this.shownRunStartMs = null;
    }
    s.on('reading', this.onReading);
    s.on('gap', this.onGap);
    s.on('state', () => {
      if (isRun && s.runStartMs !== null) this.shownRunStartMs = s.runStartMs;
      if (isRun && s.idle) this.shownIdle = s.idle;
      this.changed();
    });
    s.on('progress', () => this.changed());
    s.on('rows', () => {
      if (isRun) this.shownRows = [...s.rows];
      this.changed();
    });
    // "waiting for DIR to appear" stops being true with the first image: it leaves the status line then.
    let waiting: string | null = null;
    s.on('image', () => {
      if (waiting) this.emit('status-retract', waiting);
      waiting = null;
      this.changed();
    });
    s.on('note', (n: Note) => {
      const msg = `${n.source}: ${n.message}`;
      if (/^waiting for .* to appear$/.test(n.message)) waiting = msg;
      this.status(msg);
    });
    this.sessionEnded = s.run().then(
      (res) => this.ended(s, res),
      (err: Error) => {
        // A run that could not start (command not found, --out a file): said at once; monitoring goes on.
        this.status(`${isRun ? 'run not started: ' : ''}${err.message}`);
        if (this.session === s) this.session = null;
        if (!this.closing && !this.switching) this.backToMonitor();
        this.changed();
        return null;
      },
    );
    this.changed();
  }

  private ended(s: MeasureSession, res: SessionResult): SessionResult {
    const isRun = s.config.mode !== 'monitor';
    if (isRun || res.recordFile || res.journalFile) this.finished.push(res);
    if (isRun) {
      this.shownRows = res.rows;
      this.shownIdle = res.doc.idle;
      this.shownSummary = res.summary;
      const sum = res.summary;
      const exit = res.doc.run.exit;
      const childFailed = exit && exit.reason !== 'exited' && exit.reason !== 'stopped';
      const counts = `${sum.images} images, ${fmtSeconds(sum.secondsPerImage.mean)} / ${fmtJoules(sum.joulesPerImage.mean)} per image`;
      const word = s.config.mode === 'demo' ? 'demo' : 'run';
      const ended = s.stopReason === 'interrupted' ? 'stopped' : 'finished';
      const what = res.error
        ? `${word} failed: ${res.error}`
        : childFailed
          ? `${word} failed: ${exit.message ?? exit.reason} (exit ${res.exitCode})${res.stderrTail.length ? `: ${res.stderrTail.at(-1)}` : ''}; ${counts}`
          : `${word} ${ended}: ${counts}`;
      this.status(`${what}${res.recordFile ? `; recorded ${res.recordFile}` : ''}`);
      // Said until the next run starts, after the status message has gone.
      this.lastRun = res.error || childFailed ? `${word} failed · ${sum.images} images` : `${word} ${ended} · ${sum.images} images`;
    } else if (res.recordFile) this.status(`monitor recording saved: ${res.recordFile}`);
    if (this.session === s) this.session = null;
    // Back to monitoring unless the dashboard is closing or another session is being started.
    if (!this.closing && !this.switching) this.backToMonitor();
    this.changed();
    return res;
  }

  /** Monitoring again after a run; a failure to start it is on the status line. */
  private backToMonitor(): void {
    this.monitor(null).catch((err: unknown) => this.status(`monitoring stopped: ${(err as Error).message}`));
  }

  private async monitor(record: string | null): Promise<void> {
    if (this.closing) return;
    const s = new MeasureSession(this.config('monitor', { record }));
    try {
      await this.begin(s, '');
    } catch (err) {
      this.status(`monitoring failed: ${(err as Error).message}`);
    }
  }

  /** Stops the current session and waits until its recording is finished. */
  private async stopCurrent(reason: StopReason): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.switching = true;
    s.stop(reason);
    await this.sessionEnded;
    this.switching = false;
  }

  running(): boolean {
    return Boolean(this.session && this.session.config.mode !== 'monitor' && this.session.state !== 'done');
  }

  async startPreset(p: Preset, count: number | null): Promise<string> {
    if (this.running()) return 'a run is active: s stops it first';
    if (this.closing) return 'closing';
    await this.stopCurrent('switch');
    const spec = presetRunSpec(p, count, defaultRecordPath(this.opts.recordDir, 'run'));
    try {
      await this.begin(new MeasureSession(this.config('run', spec)), spec.label);
    } catch (err) {
      this.backToMonitor();
      return `could not start ${p.name}: ${(err as Error).message}`;
    }
    return `started ${p.name}${count !== null ? ` (${count} images)` : ''}; recording ${basename(spec.record!)}`;
  }

  /** The run is being stopped and the user will not wait: its command is killed now. */
  killRun(): boolean {
    return this.session?.killGenerator() ?? false;
  }

  stopRun(): string {
    if (!this.running()) return 'no run to stop';
    this.session!.stop('interrupted');
    return 'stopping the run and finishing its recording…';
  }

  recording(): boolean {
    return Boolean(this.session?.recordFile && this.session.state !== 'done');
  }

  async toggleRecord(): Promise<string> {
    if (this.running()) return 'a run is always recorded';
    const wasRecording = Boolean(this.session?.recordFile);
    await this.stopCurrent('switch');
    if (wasRecording) {
      await this.monitor(null);
      return 'recording stopped';
    }
    const file = defaultRecordPath(this.opts.recordDir, 'monitor');
    await this.monitor(file);
    return `recording to ${file}`;
  }

  async close(): Promise<void> {
    if (this.closing) {
      await this.sessionEnded;
      return;
    }
    this.closing = true;
    this.session?.stop('interrupted');
    await this.sessionEnded;
  }

  results(): SessionResult[] {
    return this.finished;
  }

  /** The process panel is open: the current session's process lists are read (released when it closes). */
  /** The process panel is shown (or not): the current session's process lists are watched only meanwhile. */
  showProcesses(on: boolean): void {
    this.processesShown = on;
    const s = this.session;
    const w = s?.core.processWatch;
    if (on && s && w && this.processesFor !== s) {
      this.processesFor?.core.processWatch?.release();
      w.acquire();
      this.processesFor = s;
    } else if (!on && this.processesFor) {
      this.processesFor.core.processWatch?.release();
      this.processesFor = null;
    }
  }

  private processesFor: MeasureSession | null = null;
  private processesShown = false;

  data(windowMs: number, opts: { history?: boolean; processes?: boolean } = {}): SourceData {
    const now = timelineNow();
    const s = this.session;
    // The session when it is a run (not monitoring): images, progress and the charged GPUs come from it.
    const run = s && s.config.mode !== 'monitor' ? s : null;
    const policy = s?.core.policy ?? intervalPolicy(this.opts.intervalMs);
    // While the run (or the monitoring) is shorter than the window, the charts show just it.
    const since = run?.runStartMs ?? s?.startedMs ?? this.originMs;
    const fromMs = Math.max(now - windowMs, Math.min(since, now - 10_000));
    const hostLatest = this.hostDevice ? this.display.devices.get(this.hostDevice.id)?.latest : undefined;
    const runStart = run ? run.runStartMs : this.shownRunStartMs;
    const summary = run ? summarize(this.shownRows, this.shownIdle ?? undefined, runStart !== null ? (now - runStart) / 1000 : null) : this.shownSummary;
    const stateWord = !s ? 'starting' : s.state === 'idle-baseline' ? 'measuring idle' : s.state === 'detecting' ? 'detecting' : s.state;
    return {
      header: {
        host: hostname(),
        version: s?.version ?? '',
        probes: probesText(s?.probeReports ?? []),
        recordFile: s?.recordFile ?? this.finished.at(-1)?.recordFile ?? null,
        recording: this.recording(),
        banner: this.banner,
        hostCpuPercent: hostLatest?.cpuPercent,
        hostRamUsedBytes: hostLatest?.ramUsedBytes,
      },
      run: {
        mode: s ? s.config.mode : 'monitor',
        label: run ? this.label : '',
        state: stateWord,
        imagesDone: this.shownRows.length,
        imagesMeasuring: run ? Math.max(0, run.imagesSeen - this.shownRows.length) : 0,
        target: run ? (run.config.count ?? run.config.expectedImages ?? null) : null,
        etaSeconds: run
          ? etaSeconds({
              done: run.imagesSeen,
              target: run.config.count ?? run.config.expectedImages ?? null,
              meanSeconds: summary?.secondsPerImage.mean ?? null, // the steady mean, already summarized for this frame
              sinceLastSeconds: this.shownRows.length ? (now - this.shownRows[this.shownRows.length - 1].tMs) / 1000 : 0,
            })
          : null,
        elapsedSeconds: s && this.clockStartMs !== null ? (now - this.clockStartMs) / 1000 : null,
        progress: run?.progress ? progressText(run.progress) : null,
        lastRun: run ? null : this.lastRun,
      },
      devices: this.deviceViews(now, fromMs, policy.staleMs, run, opts),
      windowFromMs: fromMs,
      windowToMs: now,
      holdMs: policy.gapLimitMs,
      runStartMs: runStart ?? this.originMs,
      nowMs: now,
      summary,
      idleWatts: (run ? run.idle?.totalWatts : this.shownIdle?.totalWatts) ?? null,
      rows: this.shownRows,
      energyMethod: summary?.method ?? null,
      replay: null,
    };
  }

  /** Each device's sparklines (from `fromMs`), latest reading, peaks, and whether the run is charged to it. */
  private deviceViews(now: number, fromMs: number, staleMs: number, run: MeasureSession | null, opts: { history?: boolean; processes?: boolean }) {
    const s = this.session;
    const inWindow = (p: SeriesPoint) => p.tMs >= fromMs;
    return this.devices.map((info) => {
      const d = this.display.devices.get(info.id);
      const h = this.history.get(info.id);
      // Only the window (the sparklines draw nothing older), not the whole 10-minute buffer.
      const power = d ? d.power.tail(inWindow) : [];
      const vram = d ? d.vram.tail(inWindow) : [];
      const lastReadingMs = d?.mainMs ?? -Infinity;
      return deviceView({
        info,
        latest: d?.latest,
        // Only the window (the sparklines draw nothing older), not the whole 10-minute buffer.
        power,
        vram,
        // Over what the charts show: a "max" beside a chart never disagrees with it.
        maxPowerWatts: maxOfPoints(power),
        peakVramBytes: maxOfPoints(vram),
        stale: now - lastReadingMs > staleMs || (d?.lastGap?.tMs ?? -Infinity) > lastReadingMs,
        // The whole-run history only when the chart is shown.
        history: opts.history && h ? h.snapshot().map((b) => ({ tMs: b.startMs + h.bucketDurationMs / 2, value: b.meanWatts ?? undefined })) : [],
        historyBucketMs: h?.bucketDurationMs ?? 1000,
        processes: opts.processes ? processViews(s?.core.processWatch?.latest.get(info.id)) : undefined,
        ...(run?.charged && !info.host && !run.charged.includes(info.id) ? { charged: false } : {}),
      });
    });
  }
}
