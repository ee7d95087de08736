/**
 * The demo's simulated GPU: a deterministic model whose power and VRAM follow what the demo
 * generator says it is doing (idle ~30 W, model load raising VRAM, ~180 W while generating).
 * Pure: state in, reading out.
 */

/** What the generator is doing, as it writes to the activity file. */
export type SimPhase = 'idle' | 'load' | 'compute' | 'save';

export interface SimActivity {
  phase: SimPhase;
  /** Epoch ms the phase began. */
  sinceMs: number;
  /** Whether model weights are resident (VRAM stays up after load until the generator exits). */
  loaded: boolean;
  /** The generator's process id, when it says (the simulated process list shows it). */
  pid?: number;
  /** The simulated GPU (index) it runs on, when it says; the others stay idle. */
  gpu?: number;
}

const GIB = 1024 ** 3;
export const SIM_VRAM_TOTAL_BYTES = 24 * GIB;
export const SIM_POWER_LIMIT_WATTS = 250;
/** What the driver and desktop hold with no generator (not a process of the generator's). */
export const SIM_BASE_VRAM_BYTES = 0.45 * GIB;
const BASE_VRAM_BYTES = SIM_BASE_VRAM_BYTES;
const MODEL_VRAM_BYTES = 6.5 * GIB;
const ACTIVATION_VRAM_BYTES = 1.6 * GIB;

const TARGET_WATTS: Record<SimPhase, number> = { idle: 30, load: 65, compute: 180, save: 95 };
const UTIL_PERCENT: Record<SimPhase, number> = { idle: 0, load: 12, compute: 98, save: 35 };
const CLOCK_MHZ: Record<SimPhase, number> = { idle: 210, load: 1410, compute: 1890, save: 1620 };
/** Power follows its target with this time constant (a real board's ramp is ~0.1–0.3 s). */
const RAMP_TAU_MS = 120;

/** Deterministic noise in [-1, 1) from an integer (no Math.random: the demo repeats exactly). */
export function hashNoise(n: number): number {
  let x = (n | 0) ^ 0x9e3779b9;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return ((x >>> 0) / 0x100000000) * 2 - 1;
}

export interface SimReading {
  powerWatts: number;
  vramUsedBytes: number;
  utilizationPercent: number;
  temperatureC: number;
  clockMhz: number;
  /** PCIe traffic: the model's weights host→GPU while loading, a few MB of latents and pixels otherwise. */
  pcieRxBytesPerSec: number;
  pcieTxBytesPerSec: number;
}

/** Host→GPU while the weights load (they arrive over LOAD_MS), and the small traffic of each phase. */
const LOAD_MS = 800;
const RX_BYTES_PER_SEC: Record<SimPhase, number> = { idle: 0, load: MODEL_VRAM_BYTES / (LOAD_MS / 1000), compute: 2e6, save: 0 };
const TX_BYTES_PER_SEC: Record<SimPhase, number> = { idle: 0, load: 0, compute: 0, save: 25e6 };

/**
 * The simulated device's reading at `tMs`, given the current activity and the power it had when the
 * phase began (`fromWatts`). Noise is keyed to the 50 ms slot so equal times give equal readings.
 */
export function simulate(act: SimActivity, fromWatts: number, tMs: number): SimReading {
  const dt = Math.max(0, tMs - act.sinceMs);
  const target = TARGET_WATTS[act.phase];
  const slot = Math.floor(tMs / 50);
  const noise = hashNoise(slot) * (act.phase === 'compute' ? 4 : 0.8);
  const powerWatts = target + (fromWatts - target) * Math.exp(-dt / RAMP_TAU_MS) + noise;
  let vram = BASE_VRAM_BYTES;
  if (act.phase === 'load') vram += MODEL_VRAM_BYTES * Math.min(1, dt / LOAD_MS);
  else if (act.loaded) vram += MODEL_VRAM_BYTES;
  if (act.phase === 'compute') vram += ACTIVATION_VRAM_BYTES;
  const temperatureC = act.phase === 'compute' || act.phase === 'save' ? 52 + 14 * (1 - Math.exp(-dt / 20000)) : 38;
  return {
    powerWatts: Math.round(powerWatts * 1000) / 1000,
    vramUsedBytes: Math.round(vram),
    utilizationPercent: UTIL_PERCENT[act.phase],
    temperatureC: Math.round(temperatureC),
    clockMhz: CLOCK_MHZ[act.phase],
    pcieRxBytesPerSec: act.phase === 'load' && dt > LOAD_MS ? 0 : RX_BYTES_PER_SEC[act.phase],
    pcieTxBytesPerSec: TX_BYTES_PER_SEC[act.phase],
  };
}

/** Parse the activity file (`PHASE SINCE_MS [loaded]`); undefined when it is not one. */
export function parseActivity(text: string): SimActivity | undefined {
  const m = /^(idle|load|compute|save)\s+(\d+)(\s+loaded)?(?:\s+pid=(\d+))?(?:\s+gpu=(\d+))?\s*$/.exec(text.trim());
  if (!m) return undefined;
  const a: SimActivity = { phase: m[1] as SimPhase, sinceMs: Number(m[2]), loaded: m[3] !== undefined };
  if (m[4]) a.pid = Number(m[4]);
  if (m[5]) a.gpu = Number(m[5]);
  return a;
}
