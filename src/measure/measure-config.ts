/** What a measured session is asked to do: the flags of run, watch, demo, monitor and the dashboard, in units. */
import type { MeterSpec } from '../../probes/meter/meter-spec.js';
import type { ProbeName } from '../../probes/types.js';
import type { BackendConfig } from '../backends/backend-types.js';
import type { RunInfo, SessionMode } from '../session/types.js';
import type { GpuChoiceNow } from './gpu-charge.js';

export interface MeasureConfig {
  mode: SessionMode;
  /** Forced probes, or undefined to auto-detect. */
  probes?: ProbeName[];
  intervalMs: number;
  idleSeconds: number;
  warmupBatches: number;
  batchGapMs: number | null;
  count: number | null;
  /** Images the generator was asked for (the demo's --count): shown as n/N; the run is not stopped there. */
  expectedImages?: number | null;
  timeoutMs: number | null;
  outDir: string | null;
  argv: string[] | null;
  cwd: string;
  tags: Readonly<Record<string, string>>;
  /** Recording path, or null for none. */
  record: string | null;
  /** Grace between SIGTERM and SIGKILL for the generator's process group. */
  killAfterMs?: number;
  /** Use the simulated GPU when no real GPU is found (the demo). */
  simulateIfNoGpu?: boolean;
  /**
   * Energy counter read period for probes where a read is costly (NVML), ms. Default: once a second
   * plus a read at each image's completion in measured runs; never when monitoring.
   */
  counterIntervalMs?: number | null;
  /** Generate through a server's HTTP API (Forge/A1111, ComfyUI) instead of `argv`. */
  backend?: BackendConfig;
  /** `outDir` is genwatt's own (the demo's temp folder): removed when the session ends. */
  removeOutDir?: boolean;
  /** Decode each image for its entropy (blank images); default true. */
  blankCheck?: boolean;
  /** Decode every image for its entropy (`--entropy-all`), not only those that could be blank. */
  entropyAll?: boolean;
  /** `--gpu`: a list (indices, bus ids, UUIDs) or `auto`; undefined: visibility variables, then auto. */
  gpu?: string;
  /** With --probe simulated: how many simulated GPUs. */
  simGpus?: number;
  /** The simulated GPUs list no processes (as many laptop and older GPUs). */
  simNoProcessList?: boolean;
  /** External power meters (`--meter`, `--meter-cmd`). */
  meters?: MeterSpec[];
}

/** The run as its recording's header says it: the command, folder and tags, and the GPUs charged (or that they are not known yet). */
export function runInfo(c: MeasureConfig, tags: Record<string, string>, choice: GpuChoiceNow): RunInfo {
  const run: RunInfo = {
    mode: c.mode,
    argv: c.argv,
    cwd: c.cwd,
    outDir: c.outDir,
    tags: { ...tags },
    startMs: null,
    endMs: null,
    exit: null,
    endReason: null,
  };
  if (choice.ids) Object.assign(run, { gpus: choice.ids, gpuReason: choice.reason });
  else if (choice.pending) Object.assign(run, { gpusPending: true, gpuReason: choice.reason });
  return run;
}
