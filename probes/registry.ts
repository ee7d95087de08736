/** Which probes exist and which run: `--probe NAME` forces, default auto-detects. */
import type { Probe, ProbeName } from './types.js';

export const PROBE_NAMES: readonly ProbeName[] = ['nvidia-smi', 'simulated', 'host'];

export function isProbeName(s: string): s is ProbeName {
  return (PROBE_NAMES as readonly string[]).includes(s);
}

/** Probes tried when none is forced (the simulated GPU only runs when asked for, or in the demo). */
export const AUTO_PROBES: readonly ProbeName[] = ['nvidia-smi', 'host'];

export async function createProbe(name: ProbeName): Promise<Probe> {
  switch (name) {
    case 'nvidia-smi':
      return new (await import('./nvidia/nvidia-smi-probe.js')).NvidiaSmiProbe();
    case 'simulated':
      return new (await import('./simulated/simulated-probe.js')).SimulatedProbe();
    case 'host':
      return new (await import('./host/host-probe.js')).HostProbe();
  }
}
