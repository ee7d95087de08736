/**
 * How wide the running average behind NVIDIA's `power.draw` / `nvmlDeviceGetPowerUsage` is (pure).
 * nvidia-smi --help-query-gpu (530+): "On Ampere or newer devices, returns average power draw over
 * 1 sec. On older devices, returns instantaneous power draw." NVML's reference for
 * nvmlDeviceGetPowerUsage is narrower: "On Ampere (except GA100) or newer GPUs, the API returns power
 * averaged over 1 sec interval. On GA100 and older architectures, instantaneous power is returned."
 */

/** Architectures before Ampere: their power reading is the latest value, not a 1 s average. */
const BEFORE_AMPERE = new Set(['kepler', 'maxwell', 'pascal', 'volta', 'turing']);
/** GA100 boards (A100, A800, A30): Ampere, but their reading is instantaneous per NVML's reference. */
const GA100_NAME = /\b(A100|A800|A30)\b/i;

/** nvml.h `nvmlDeviceArchitecture_t` (NVML_DEVICE_ARCH_*). */
const NVML_ARCHITECTURES: Record<number, string> = {
  2: 'Kepler',
  3: 'Maxwell',
  4: 'Pascal',
  5: 'Volta',
  6: 'Turing',
  7: 'Ampere',
  8: 'Ada Lovelace',
  9: 'Hopper',
  10: 'Blackwell',
};

export function nvmlArchitectureName(code: number | undefined): string | undefined {
  return code === undefined ? undefined : NVML_ARCHITECTURES[code];
}

/** The boxcar width, ms, or undefined where the reading is not a known average (older, GA100, unknown). */
export function powerDrawAverageMs(architecture: string | undefined, gpuName?: string): number | undefined {
  if (!architecture) return undefined;
  const a = architecture.trim().toLowerCase();
  if (BEFORE_AMPERE.has(a)) return undefined;
  if (a === 'ampere' && gpuName && GA100_NAME.test(gpuName)) return undefined;
  return 1000;
}
