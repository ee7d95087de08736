/** Static host facts from node:os (fast; no systeminformation needed for the header). */
import os from 'node:os';
import type { HostFacts } from './types.js';

export function hostFacts(): HostFacts {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpus.length,
    ramTotalBytes: os.totalmem(),
    node: process.version,
  };
}
