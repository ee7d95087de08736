/**
 * PCI runtime power management of NVIDIA GPUs, read from sysfs only (no NVML, no nvidia-smi: either
 * wakes a GPU in runtime suspend and keeps it awake, 5–25 W on hybrid laptops — nvtop #230, btop
 * #738/#1838). `/sys/bus/pci/devices/<bdf>/power/runtime_status` (`active`, `suspended`, `suspending`,
 * `resuming`, `error`, `unsupported`; Documentation/ABI/testing/sysfs-devices-power) and
 * `/sys/bus/pci/devices/<bdf>/power_state` (`D0`, `D3hot`, `D3cold`, …; sysfs-bus-pci). The root is
 * `$GENWATT_SYSFS` (default `/sys`) so tests use a fake tree. Every read is bounded and a missing or
 * unreadable file is "not known", never "asleep".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PciPm {
  runtimeStatus?: string;
  powerState?: string;
}

export const sysfsRoot = (): string => process.env.GENWATT_SYSFS ?? '/sys';

function readSmall(f: string): string | undefined {
  try {
    const t = readFileSync(f, 'latin1');
    return t.length <= 64 && /^[\w-]+\s*$/.test(t) ? t.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** `00000000:01:00.0` (NVML, nvidia-smi) → `0000:01:00.0` (sysfs). */
export function sysfsBdf(busId: string): string | undefined {
  const m = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(busId.trim());
  return m ? `${m[1].slice(-4)}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase() : undefined;
}

/** sysfs `0000:01:00.0` → the bus id as genwatt keys NVIDIA GPUs (`00000000:01:00.0`). */
export const genwattBusId = (bdf: string): string => `0000${bdf}`.toUpperCase();

/** NVIDIA display controllers (vendor 0x10de, PCI class 0x03xxxx) under the sysfs root, by bdf. */
export function nvidiaPciDevices(root = sysfsRoot()): string[] {
  const dir = join(root, 'bus', 'pci', 'devices');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(n));
  } catch {
    return [];
  }
  return names.filter((n) => readSmall(join(dir, n, 'vendor'))?.toLowerCase() === '0x10de' && /^0x03/i.test(readSmall(join(dir, n, 'class')) ?? '')).sort();
}

export function readPciPm(bdf: string, root = sysfsRoot()): PciPm {
  const dev = join(root, 'bus', 'pci', 'devices', bdf);
  const pm: PciPm = {};
  const rs = readSmall(join(dev, 'power', 'runtime_status'));
  if (rs) pm.runtimeStatus = rs;
  const ps = readSmall(join(dev, 'power_state'));
  if (ps) pm.powerState = ps;
  return pm;
}

/** Suspended (or on its way): any NVML call would wake it. */
export const isAsleep = (pm: PciPm): boolean => pm.runtimeStatus === 'suspended' || pm.runtimeStatus === 'suspending';

/** `suspended (D3cold)`, `active (D0)`, or undefined when sysfs says nothing. */
export function pmText(pm: PciPm): string | undefined {
  if (!pm.runtimeStatus && !pm.powerState) return undefined;
  return pm.runtimeStatus ? `${pm.runtimeStatus}${pm.powerState ? ` (${pm.powerState})` : ''}` : pm.powerState;
}

/** What a screen says for a GPU left asleep. */
export const asleepText = (pm: PciPm): string => `asleep (${pm.powerState ?? pm.runtimeStatus}), not woken`;
