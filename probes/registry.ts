/** Which probes exist and which run: `--probe NAME` forces, default auto-detects. */
import type { Detection, Probe, ProbeName } from './types.js';

export const PROBE_NAMES: readonly ProbeName[] = [
  'nvml',
  'nvidia-smi',
  'amd-sysfs',
  'amd-smi',
  'rocm-smi',
  'tegrastats',
  'macmon',
  'powermetrics',
  'simulated',
  'host',
];

export function isProbeName(s: string): s is ProbeName {
  return (PROBE_NAMES as readonly string[]).includes(s);
}

/**
 * Probes tried when none is forced (the simulated GPU only runs when asked for, or in the demo). On
 * macOS: macmon (no root) first, then powermetrics; elsewhere NVML, nvidia-smi, amdgpu sysfs, amd-smi, rocm-smi and tegrastats.
 */
export const AUTO_PROBES: readonly ProbeName[] =
  process.platform === 'darwin' ? ['macmon', 'powermetrics', 'host'] : ['nvml', 'nvidia-smi', 'amd-sysfs', 'amd-smi', 'rocm-smi', 'tegrastats', 'host'];

export interface ProbeFactoryOptions {
  /** How many simulated GPUs the `simulated` probe shows (default 1). */
  simGpus?: number;
  /** The simulated GPUs list no processes (an interface without process lists, acted out). */
  simNoProcessList?: boolean;
  /** A measured run: NVIDIA GPUs in runtime suspend are woken to be measured (monitor and probe never wake them). */
  wakeSleeping?: boolean;
}

export async function createProbe(name: ProbeName, opts: ProbeFactoryOptions = {}): Promise<Probe> {
  switch (name) {
    case 'nvml':
      return new (await import('./nvidia/nvml-probe.js')).NvmlProbe({ wakeSleeping: opts.wakeSleeping });
    case 'tegrastats':
      return new (await import('./jetson/tegrastats-probe.js')).TegrastatsProbe();
    case 'powermetrics':
      return new (await import('./apple/powermetrics-probe.js')).PowermetricsProbe();
    case 'macmon':
      return new (await import('./apple/macmon-probe.js')).MacmonProbe();
    case 'amd-sysfs':
      return new (await import('./amd/amd-probes.js')).AmdSysfsProbe();
    case 'amd-smi':
    case 'rocm-smi':
      return new (await import('./amd/amd-probes.js')).AmdToolProbe(name);
    case 'nvidia-smi':
      return new (await import('./nvidia/nvidia-smi-probe.js')).NvidiaSmiProbe({ wakeSleeping: opts.wakeSleeping });
    case 'simulated':
      return new (await import('./simulated/simulated-probe.js')).SimulatedProbe({ gpus: opts.simGpus, processLists: !opts.simNoProcessList });
    case 'host':
      return new (await import('./host/host-probe.js')).HostProbe();
    case 'meter':
      throw new Error('meters are named with --meter or --meter-cmd, not --probe');
  }
}

/** Probes that read the same vendor's GPUs through different interfaces, best first. */
const FAMILY: Partial<Record<ProbeName, string>> = {
  nvml: 'nvidia',
  'nvidia-smi': 'nvidia',
  'amd-sysfs': 'amd',
  'amd-smi': 'amd',
  'rocm-smi': 'amd',
  macmon: 'apple',
  powermetrics: 'apple',
};

/**
 * Several probes can see the same GPU (NVML and nvidia-smi; amdgpu sysfs, amd-smi and rocm-smi):
 * the first in `order` that finds GPUs reads its vendor's GPUs, and a device id is read once. A probe
 * left with no device is not run; its detection says which probe reads its GPUs instead.
 */
export function claimDevices<D extends Detection>(
  order: readonly ProbeName[],
  found: readonly { name: ProbeName; detection: D }[],
): { name: ProbeName; detection: D; run: boolean }[] {
  const taken = new Map<string, ProbeName>();
  const families = new Map<string, ProbeName>();
  const sorted = [...found].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const out = new Map<ProbeName, { name: ProbeName; detection: D; run: boolean }>();
  for (const f of sorted) {
    const d = f.detection;
    if (d.status !== 'ok' || d.devices.length === 0) {
      out.set(f.name, { ...f, run: false });
      continue;
    }
    const fam = FAMILY[f.name];
    const owner = fam ? families.get(fam) : undefined;
    if (owner) {
      out.set(f.name, { name: f.name, detection: { ...d, status: 'unavailable', devices: [], reason: `not needed: ${owner} reads these GPUs` }, run: false });
      continue;
    }
    const mine = d.devices.filter((x) => !taken.has(x.id));
    const others = d.devices.filter((x) => taken.has(x.id));
    for (const x of mine) taken.set(x.id, f.name);
    if (mine.length === 0) {
      const by = [...new Set(others.map((x) => taken.get(x.id)))].join(', ');
      out.set(f.name, {
        name: f.name,
        detection: { ...d, status: 'unavailable', devices: [], reason: `not needed: ${by} reads the same GPU${others.length > 1 ? 's' : ''}` },
        run: false,
      });
    } else {
      if (fam) families.set(fam, f.name);
      out.set(f.name, { name: f.name, detection: { ...d, devices: mine }, run: true });
    }
  }
  return found.map((f) => out.get(f.name)!);
}
