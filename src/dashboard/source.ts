/**
 * What the dashboard reads from: a live measurement or a replayed recording. Both hand out the
 * data part of the view; the controller adds the UI state (overlays, launcher, focus, status).
 */
import type { EventEmitter } from 'node:events';
import type { DashboardView, DeviceView, ProcessView } from '../../components/view-model.js';
import type { SeriesPoint } from '../series/series.js';
import type { DeviceInfo, Reading } from '../../probes/types.js';
import type { Preset } from '../backends/presets.js';
import type { SessionResult } from '../measure/measure-session.js';

export type SourceData = Pick<
  DashboardView,
  | 'header'
  | 'run'
  | 'devices'
  | 'windowFromMs'
  | 'windowToMs'
  | 'holdMs'
  | 'runStartMs'
  | 'nowMs'
  | 'summary'
  | 'idleWatts'
  | 'rows'
  | 'energyMethod'
  | 'replay'
>;

/** A source's events: `change` (redraw), `status` (a line for the status bar). */
export interface SourceEvents {
  change: [];
  status: [message: string];
  /** A status that no longer holds (the folder it waited for has images): gone if still shown. */
  'status-retract': [message: string];
}

export interface DashboardSource extends EventEmitter<SourceEvents> {
  readonly kind: 'live' | 'replay';
  /**
   * The data to draw, for a sparkline window of `windowMs` ending now (`history`: also the whole-run
   * power history, for the chart; `processes`: the process lists, for the panel). Emits `change`
   * when it changes.
   */
  data(windowMs: number, opts?: { history?: boolean; processes?: boolean }): SourceData;
  /** Stops everything (a run is stopped and its recording finished). Safe to call twice. */
  close(): Promise<void>;
  /** Finished runs (live), for the summary printed after the dashboard closes. */
  results(): SessionResult[];
  startPreset?(p: Preset, count: number | null): Promise<string>;
  stopRun?(): string;
  /** Kills a stopping run's command now (its recording is still finished); false when there is none. */
  killRun?(): boolean;
  toggleRecord?(): Promise<string>;
  /** True while a run (not monitoring) is active. */
  running?(): boolean;
  togglePause?(): void;
  /** The process panel is shown or hidden (a live source watches process lists only meanwhile). */
  showProcesses?(on: boolean): void;
  seek?(direction: -1 | 1): void;
}

export interface DeviceParts {
  info: DeviceInfo;
  latest: Reading | undefined;
  power: readonly SeriesPoint[];
  vram: readonly SeriesPoint[];
  maxPowerWatts: number | undefined;
  peakVramBytes: number | undefined;
  stale: boolean;
  history: readonly SeriesPoint[];
  historyBucketMs: number;
  charged?: boolean;
  processes?: readonly ProcessView[] | null;
}

export function deviceView(p: DeviceParts): DeviceView {
  const r = p.latest;
  return {
    id: p.info.id,
    name: p.info.name,
    simulated: Boolean(p.info.simulated),
    powerWatts: r?.powerWatts,
    powerKind: r?.powerKind,
    hasCounter: r?.energyJoules !== undefined,
    powerScope: p.info.powerScope && !['board', 'simulated'].includes(p.info.powerScope) ? p.info.powerScope : undefined,
    ...(p.info.meter ? { meter: true } : {}),
    powerLimitWatts: p.info.powerLimitWatts,
    maxPowerWatts: p.maxPowerWatts,
    power: p.power,
    vram: p.vram,
    vramUsedBytes: r?.vramUsedBytes,
    vramTotalBytes: p.info.vramTotalBytes,
    memoryLabel: p.info.memoryScope ? 'RAM (shared)' : 'VRAM',
    peakVramBytes: p.peakVramBytes,
    utilizationPercent: r?.utilizationPercent,
    temperatureC: r?.temperatureC,
    clockMhz: r?.clockMhz,
    throttleReasons: r?.throttleReasons,
    pmState: r?.pmState !== undefined && r.powerWatts === undefined ? r.pmState : undefined,
    stale: p.stale,
    history: p.history,
    historyBucketMs: p.historyBucketMs,
    ...(p.charged === false ? { charged: false } : {}),
    ...(p.processes !== undefined ? { processes: p.processes } : {}),
  };
}

export function probesText(reports: readonly { name: string; status: string; method?: string }[]): string {
  const ok = reports.filter((p) => p.status === 'ok' && p.name !== 'host');
  return ok.length ? ok.map((p) => (p.method ? (p.method.startsWith(p.name) ? p.method : `${p.name}: ${p.method}`) : p.name)).join(', ') : 'no probe';
}

/** The highest value among points (a chart window's max), undefined when none has a value. */
export function maxOfPoints(points: readonly SeriesPoint[]): number | undefined {
  let m: number | undefined;
  for (const p of points) if (p.value !== undefined && (m === undefined || p.value > m)) m = p.value;
  return m;
}
