/**
 * Which GPUs a run is charged for (pure): `--gpu LIST` (indices, PCI bus ids, UUIDs), else the
 * generator's own visibility variables (CUDA_VISIBLE_DEVICES for NVIDIA, HIP_VISIBLE_DEVICES /
 * ROCR_VISIBLE_DEVICES for AMD, read as their runtimes read them), else — for a command whose
 * processes the vendor interface can list — the GPUs its process tree appears on (decided by the
 * process watch), else all of them. Every choice carries the reason, in words.
 */
import type { DeviceInfo } from '../../probes/types.js';
import { isGpu } from '../../probes/types.js';

export class GpuSelectError extends Error {}

export interface GpuChoice {
  ids: string[];
  /** Why these: `--gpu 1`, `CUDA_VISIBLE_DEVICES=1`, `processes: pid 4242 on …`, `all GPUs`. */
  reason: string;
}

const BUS = /^(?:[0-9a-f]{4,8}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;

/** Bus ids compared without case and with the domain widened to 8 digits (nvidia-smi's form). */
function busKey(s: string): string {
  const m = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(s.trim());
  if (!m) return s.trim().toUpperCase();
  return `${(m[1] ?? '0').padStart(8, '0').slice(-8)}:${m[2]}:${m[3]}.${m[4]}`.toUpperCase();
}

function describe(devices: readonly DeviceInfo[]): string {
  return devices.map((d) => `${d.index ?? '?'} ${d.id}${d.uuid ? ` ${d.uuid}` : ''}`).join(', ');
}

/** One `--gpu` item: an index, a PCI bus id or a UUID (a unique prefix of 8+ characters will do). */
function findOne(item: string, gpus: readonly DeviceInfo[]): DeviceInfo | undefined {
  const t = item.trim();
  if (/^\d+$/.test(t)) return gpus.find((d) => d.index === Number(t));
  if (BUS.test(t)) return gpus.find((d) => busKey(d.busId ?? d.id) === busKey(t) || busKey(d.id) === busKey(t));
  const lower = t.toLowerCase();
  const exact = gpus.find((d) => d.uuid?.toLowerCase() === lower || d.id.toLowerCase() === lower);
  if (exact) return exact;
  if (lower.length >= 8) {
    const byPrefix = gpus.filter((d) => d.uuid?.toLowerCase().startsWith(lower));
    if (byPrefix.length === 1) return byPrefix[0];
  }
  return undefined;
}

/** `--gpu LIST` against the GPUs found. Throws GpuSelectError naming what is there. */
export function resolveGpuList(list: string, devices: readonly DeviceInfo[]): GpuChoice {
  const gpus = devices.filter(isGpu);
  const items = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new GpuSelectError('--gpu needs a list: indices, PCI bus ids or UUIDs (e.g. --gpu 1 or --gpu 0000:41:00.0,GPU-5ca8…)');
  const ids: string[] = [];
  for (const item of items) {
    const d = findOne(item, gpus);
    if (!d) throw new GpuSelectError(`--gpu ${item}: no such GPU here (GPUs: ${describe(gpus)})`);
    if (!ids.includes(d.id)) ids.push(d.id);
  }
  return { ids, reason: `--gpu ${items.join(',')}` };
}

/**
 * The GPUs a generator can see by its visibility variables, or null when none is set. CUDA reads
 * CUDA_VISIBLE_DEVICES as indices or UUIDs (MIG ids too) and stops at the first entry it cannot
 * parse; "" or "-1" hides every GPU. Its indices follow PCI order only with
 * CUDA_DEVICE_ORDER=PCI_BUS_ID or identical GPUs (the default orders fastest first), so genwatt
 * says when that may not hold.
 */
export function visibleGpus(env: NodeJS.ProcessEnv, devices: readonly DeviceInfo[]): GpuChoice | null {
  const gpus = devices.filter(isGpu);
  for (const [name, vendor] of [
    ['CUDA_VISIBLE_DEVICES', 'nvidia'],
    ['HIP_VISIBLE_DEVICES', 'amd'],
    ['ROCR_VISIBLE_DEVICES', 'amd'],
  ] as const) {
    const raw = env[name];
    if (raw === undefined) continue;
    // The simulated GPU stands in for an NVIDIA one (the demo generator reads CUDA_VISIBLE_DEVICES as CUDA does).
    const mine = gpus.filter((d) => d.vendor === vendor || (vendor === 'nvidia' && d.vendor === 'simulated'));
    if (!mine.length) continue;
    const ids: string[] = [];
    for (const item of raw.split(',').map((s) => s.trim())) {
      if (item === '' || item === '-1') break;
      const d = findOne(item, mine);
      if (!d) break; // the runtime ignores this entry and everything after it
      if (!ids.includes(d.id)) ids.push(d.id);
    }
    if (!ids.length) throw new GpuSelectError(`${name}=${JSON.stringify(raw)} leaves the generator no GPU genwatt can see (GPUs: ${describe(mine)})`);
    let reason = `${name}=${raw}`;
    const models = new Set(mine.map((d) => d.name));
    if (vendor === 'nvidia' && env.CUDA_DEVICE_ORDER !== 'PCI_BUS_ID' && models.size > 1 && raw.split(',').some((x) => /^\d+$/.test(x.trim()))) {
      reason += ' (read in PCI order; CUDA orders different GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID: give UUIDs to be sure)';
    }
    return { ids, reason };
  }
  return null;
}

/** Idle per device restricted to the charged GPUs, with the total over them (null when any is unknown). */
export function restrictIdle<T extends { devices: { deviceId: string; watts: number | null }[]; totalWatts: number | null }>(
  idle: T,
  ids: readonly string[],
): T {
  const devices = idle.devices.filter((d) => ids.includes(d.deviceId));
  const known = devices.length === ids.length && devices.every((d) => d.watts !== null);
  return { ...idle, devices, totalWatts: known ? devices.reduce((a, d) => a + d.watts!, 0) : null };
}
