/** What the dashboard draws: plain data handed to the components as props (no I/O behind it). */
import type { EnergyMethod, PowerKind } from '../probes/types.js';
import type { ImageRow } from '../src/energy/image-rows.js';
import type { Summary } from '../src/energy/summary.js';
import type { SeriesPoint } from '../src/series/series.js';

export interface DeviceView {
  id: string;
  name: string;
  simulated: boolean;
  powerWatts: number | undefined;
  powerKind: PowerKind | undefined;
  /** The device reports a hardware energy counter (energy figures use it). */
  hasCounter: boolean;
  /** What the power figure covers when it is not the board (an APU, a rail). */
  powerScope: string | undefined;
  /** An external meter (`--meter`): power only, labelled by its scope; no memory, clocks or charge. */
  meter?: boolean;
  powerLimitWatts: number | undefined;
  /** Highest power in the chart's window (what the chart shows). */
  maxPowerWatts: number | undefined;
  power: readonly SeriesPoint[];
  vram: readonly SeriesPoint[];
  vramUsedBytes: number | undefined;
  vramTotalBytes: number | undefined;
  /** `VRAM`, or what the memory figure is where the GPU has none of its own (`RAM (shared)`). */
  memoryLabel: string;
  peakVramBytes: number | undefined;
  utilizationPercent: number | undefined;
  temperatureC: number | undefined;
  clockMhz: number | undefined;
  /** Why clocks are held down now (e.g. `sw-power-cap`), when the probe says; empty: not throttled. */
  throttleReasons: readonly string[] | undefined;
  /** The GPU sleeps and is read through sysfs only (`suspended (D3cold)`); undefined: awake or not known. */
  pmState?: string;
  /** The last reading is older than the gap limit, or a gap was reported since. */
  stale: boolean;
  /** Whole-run power history, for the chart (`g`): one point per bucket (its mean). */
  history: readonly SeriesPoint[];
  historyBucketMs: number;
  /** False for a GPU shown but not charged to the run (`--gpu`); undefined: charged. */
  charged?: boolean;
  /** Processes on this GPU (the `p` panel); null: the vendor interface gives no process list. */
  processes?: readonly ProcessView[] | null;
}

export interface ProcessView {
  pid: number;
  /** Short name (from /proc), or n/a. */
  name: string | null;
  /** GPU memory this process uses, bytes; undefined when the driver does not say. */
  usedBytes: number | undefined;
  /** Part of the measured generator's process group. */
  generator: boolean;
}

export interface LauncherPresetView {
  name: string;
  /** One line: command, output folder, tags. */
  detail: string;
  /** The preset's own description, if it has one. */
  description?: string;
  count: number | null;
}

export interface LauncherView {
  presets: readonly LauncherPresetView[];
  selected: number;
  /** The count that Enter will use for the selected preset. */
  count: number | null;
  /** Which config file was read, or where genwatt looked. */
  source: string;
  /** A config problem (file and field), shown; the dashboard works on. */
  error: string | null;
  /** Presets left out of the list, each with its problem (the others work). */
  disabled: readonly string[];
}

export interface ReplayView {
  file: string;
  positionMs: number;
  durationMs: number;
  speed: number;
  paused: boolean;
  ended: boolean;
}

export type Overlay = 'none' | 'help' | 'launcher' | 'chart' | 'processes';

export interface DashboardView {
  /** Terminal size. */
  width: number;
  height: number;
  ascii: boolean;
  color: boolean;
  header: {
    host: string;
    version: string;
    /** Probe methods in use, e.g. "nvidia-smi (instant power)". */
    probes: string;
    recordFile: string | null;
    recording: boolean;
    /** Shown prominently: simulated GPU, no GPU found, demo. */
    banner: string | null;
    hostCpuPercent: number | undefined;
    hostRamUsedBytes: number | undefined;
  };
  run: {
    /** monitor, run, watch, demo, replay. */
    mode: string;
    /** Preset name or command line. */
    label: string;
    state: string;
    /** Images in the table (their energy window closed). */
    imagesDone: number;
    /** Images seen whose window is still closing (after-image samples awaited): not in the table yet. */
    imagesMeasuring?: number;
    /** Seconds left to the target (steady mean × images to come); null when unknown. */
    etaSeconds?: number | null;
    target: number | null;
    elapsedSeconds: number | null;
    /** Generator progress when a backend reports it (step x/y). */
    progress: string | null;
    /** How the last run ended, while monitoring after it (e.g. "demo finished: 10 images"). */
    lastRun?: string | null;
  };
  devices: readonly DeviceView[];
  focused: number;
  /** Sparkline window. */
  windowFromMs: number;
  windowToMs: number;
  /** Values are carried across empty columns for this long (the gap limit). */
  holdMs: number;
  runStartMs: number | null;
  nowMs: number;
  summary: Summary | null;
  idleWatts: number | null;
  rows: readonly ImageRow[];
  /** Methods of the energy figures in words, e.g. "counter" or "instant power". */
  energyMethod: EnergyMethod | 'mixed' | null;
  overlay: Overlay;
  launcher: LauncherView;
  replay: ReplayView | null;
  /** The latest message (note, error, what a key did). */
  status: string | null;
  /** Image rows scrolled back from the newest (0 or undefined: the newest are shown). */
  tableOffset?: number;
  /** Help lines scrolled past (the help is taller than the screen). */
  helpOffset?: number;
  /** One power scale for every device (key `w`), instead of each device's own. */
  sharedScale?: boolean;
  /** `q` was pressed during a run: a second `q` quits, any other key cancels. */
  confirmQuit?: boolean;
}
