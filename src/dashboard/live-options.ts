/** What the live dashboard measures with (its flags, in units) and what one run started from it is. */
import type { MeterSpec } from '../../probes/meter/meter-spec.js';
import type { ProbeName } from '../../probes/types.js';
import type { BackendConfig } from '../backends/backend-types.js';

export interface LiveOptions {
  probes?: ProbeName[];
  intervalMs: number;
  warmupBatches: number;
  batchGapMs: number | null;
  cwd: string;
  /** Folder for recordings started from the dashboard. */
  recordDir: string;
  /** Use the simulated GPU when no GPU is found (default command, demo). */
  simulateIfNoGpu: boolean;
  tags: Record<string, string>;
  /** Timeout for SIGTERM → SIGKILL of a generator. */
  killAfterMs?: number;
  /** NVML counter read period (null: once a second and at each image in runs, never when monitoring). */
  counterIntervalMs?: number | null;
  /** Decode each image for its entropy (blank images); default true. */
  blankCheck?: boolean;
  /** `--entropy-all`: decode every image. */
  entropyAll?: boolean;
  /** `--gpu` for runs started here (a preset's own `gpu` wins). */
  gpu?: string;
  /** `--sim-gpus`, `--no-sim-process-list`: the simulated GPUs (so `d`/`w` can be tried without hardware). */
  simGpus?: number;
  simNoProcessList?: boolean;
  /** External power meters (`--meter`, `--meter-cmd`), measured in every session started here. */
  meters?: MeterSpec[];
}

export interface RunSpec {
  mode: 'run' | 'watch' | 'demo';
  label: string;
  argv: string[] | null;
  cwd?: string;
  outDir: string | null;
  count: number | null;
  idleSeconds: number;
  timeoutMs: number | null;
  record: string | null;
  warmupBatches?: number;
  tags: Record<string, string>;
  /** A server backend (Forge/A1111, ComfyUI) instead of argv. */
  backend?: BackendConfig;
  /** `outDir` is genwatt's own (the demo's temp folder): removed when the run ends. */
  removeOutDir?: boolean;
  /** Images the generator was asked for (shown as n/N). */
  expectedImages?: number;
  /** GPUs charged (a preset's `gpu`, or `--gpu`). */
  gpu?: string;
}
