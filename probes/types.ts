/** The contract every vendor probe fills (cf. nvtop's one `gpu_vendor` struct). Never imports React. */

/** Names accepted by `--probe`. The vendor issue adds the rest of the list. */
export type ProbeName =
  'nvml' | 'nvidia-smi' | 'amd-sysfs' | 'amd-smi' | 'rocm-smi' | 'tegrastats' | 'powermetrics' | 'macmon' | 'simulated' | 'host' | 'meter';

/** What a power figure is: a point value, or a running average (nvidia-smi `power.draw` on Ampere+). */
export type PowerKind = 'instant' | 'average';

/** How an energy figure was obtained, best first. */
export type EnergyMethod = 'counter' | 'scaled' | 'instant' | 'average';

/** What the power figure covers. */
/**
 * What a power figure covers: `board`, `module`, `gpu rail`, `gpu+soc rail`, `cpu+gpu+cv rail`,
 * `module input`, `apu package (includes CPU)`, `gpu cluster`, `simulated`, `host`.
 */
export type PowerScope = string;

export type Vendor = 'nvidia' | 'amd' | 'apple' | 'jetson' | 'simulated' | 'host' | 'meter';

/** A device a probe found. `id` survives reordering: PCI bus id or UUID, else vendor+index. */
export interface DeviceInfo {
  id: string;
  vendor: Vendor;
  name: string;
  /** Which probe reads it. */
  probe: ProbeName;
  busId?: string;
  uuid?: string;
  index?: number;
  vramTotalBytes?: number;
  powerLimitWatts?: number;
  powerScope?: PowerScope;
  /** True for the demo's simulated GPU, so no screen or file can mistake it for hardware. */
  simulated?: boolean;
  /** A host pseudo-device (CPU/RAM), never summed into GPU energy. */
  host?: boolean;
  /** An external power meter (`--meter`): its own figures, labelled by `powerScope`, never a GPU's. */
  meter?: boolean;
  driverVersion?: string;
  /** What "VRAM used" means when it is not dedicated memory, e.g. unified memory on Apple and Jetson. */
  memoryScope?: string;
  /** PCI runtime power state when genwatt found it (`suspended (D3cold)`, `active (D0)`), from sysfs. */
  pmAtStart?: string;
  /** NVIDIA persistence mode (keeps the driver loaded, and the GPU out of deep idle). */
  persistenceMode?: boolean;
  /** A display is initialised on the GPU (it cannot idle as deep as a headless one). */
  displayActive?: boolean;
  /** Its `average` power is the mean over a boxcar this wide, ms (NVIDIA Ampere and newer: 1000); absent: not known. */
  powerAverageMs?: number;
}

/**
 * One reading of one device. Every metric is optional: absent means "not reported", never 0.
 * `tMs` is wall-clock epoch milliseconds (to line up with file mtimes).
 */
export interface Reading {
  deviceId: string;
  tMs: number;
  powerWatts?: number;
  powerKind?: PowerKind;
  /** Cumulative energy counter in joules (kind `counter`). */
  energyJoules?: number;
  vramUsedBytes?: number;
  utilizationPercent?: number;
  temperatureC?: number;
  /** SM / graphics clock. */
  clockMhz?: number;
  /** Why clocks are held down now (NVML clock event reasons, e.g. `sw-power-cap`); empty: none. */
  throttleReasons?: string[];
  /** GPU memory used by the measured generator's processes on this device (from the process list). */
  processVramBytes?: number;
  /** PCI runtime power state (`suspended (D3cold)`) when the GPU sleeps and is read through sysfs only. */
  pmState?: string;
  /** NVIDIA performance state, 0 (P0) … 15. */
  pState?: number;
  /** Free GPU memory as the driver reports it (NVML's `free`); absent: total − used is all there is. */
  vramFreeBytes?: number;
  /**
   * PCIe bytes received by the GPU (host→GPU) and sent (GPU→host): cumulative counters (NVML fields
   * 197/198), compared between window edges like the energy counter.
   */
  pcieRxBytes?: number;
  pcieTxBytes?: number;
  /**
   * PCIe throughput, bytes per second, where only a rate exists (NVML's 20 ms nvmlDeviceGetPcieThroughput,
   * nvidia-smi `dmon -s t`, amdgpu `pcie_bw`): held until the next reading and integrated over a window.
   */
  pcieRxBytesPerSec?: number;
  pcieTxBytesPerSec?: number;
  /** Host only: CPU load and RAM in use. */
  cpuPercent?: number;
  ramUsedBytes?: number;
  /** Host only: resident memory of the measured generator's processes (its process tree), bytes. */
  generatorRssBytes?: number;
  /** Host only: bytes swapped in and out since boot (/proc/vmstat pswpin/pswpout × page size). */
  swapInBytes?: number;
  swapOutBytes?: number;
}

/** A stretch where a device had no readings it should have had. */
export interface Gap {
  deviceId: string;
  /** The probe, when the gap concerns every device it reads. */
  probe?: ProbeName;
  tMs: number;
  reason: string;
}

export type ProbeStatus = 'ok' | 'unavailable' | 'error';

/** The result of detection: devices found, or 0 devices with the reason. */
export interface Detection {
  status: ProbeStatus;
  devices: DeviceInfo[];
  /** Why there are no devices, or what is degraded. */
  reason?: string;
  /** e.g. "nvidia-smi -lms 100 (power.draw.instant)". */
  method?: string;
}

/**
 * How a probe samples: the interval, and how long a streaming tool may stay silent before it is
 * restarted. Made from the sampling interval by one function (src/measure/interval-policy.ts).
 */
export interface SampleTiming {
  intervalMs: number;
  stallMs: number;
}

/** A process using a GPU, as the vendor interface lists it. */
export interface GpuProcess {
  pid: number;
  /** GPU memory it uses, bytes; undefined when the driver does not say. */
  usedBytes?: number;
}

/** Where a streaming probe delivers what it reads. */
export interface ReadingSink {
  reading(r: Reading): void;
  gap(g: Gap): void;
  /** A note worth recording (restart, parse error). */
  note?(probe: ProbeName, message: string): void;
  /** The probe's tool ended (died, or was killed after stalling) and is being restarted. */
  restart?(probe: ProbeName, reason: string): void;
}

/**
 * A vendor probe. `detect` never throws for a missing tool or driver: it returns 0 devices and a
 * reason. A probe either streams (`start`) or is polled (`poll`) by the sampler.
 */
export interface Probe {
  readonly name: ProbeName;
  detect(): Promise<Detection>;
  /** Polled probes: one reading per device. */
  poll?(): Promise<Reading[]>;
  /** Streaming probes: deliver every sensor update until `close`. */
  start?(sink: ReadingSink, timing: SampleTiming): void;
  /** Environment for a generator started while this probe runs (the simulated GPU follows it). */
  childEnv?(): Record<string, string>;
  /** The generator exited. */
  onChildExit?(): void;
  /**
   * The processes on each of the probe's GPUs (device id → processes), or null when the interface
   * gives no process list. Absent: the probe cannot list processes at all.
   */
  processes?(): Promise<Map<string, GpuProcess[]> | null>;
  /**
   * How often to read a costly energy counter, ms (NVML's costs ~5 ms of CPU a read on a loaded
   * H100). Called before `start`: measured runs read it every 2 s, serve once a second, monitoring not at all.
   */
  setCounterInterval?(ms: number): void;
  /**
   * Reads the energy counter now, outside the schedule, delivering it as a counter-only reading to the
   * running sink. `force`: always (a run's start and end, the idle window's end). Otherwise (an image
   * completed) only on devices without instant power: where there is instant power, an image's edges
   * are placed between the scheduled reads (window-energy.ts counterAtEdge), and a read per image
   * would cost more CPU than the rest of genwatt on a fast generator.
   */
  readCounterNow?(force?: boolean): void;
  /** Read the costly energy counter of these devices only (the GPUs charged to a run); null: all. */
  setCounterDevices?(ids: readonly string[] | null): void;
  close(): Promise<void>;
}

/** A GPU: neither the host pseudo-device nor an external meter. */
export const isGpu = (d: DeviceInfo): boolean => !d.host && !d.meter;
