/**
 * amdgpu through sysfs (no tool needed): `/sys/class/drm/cardN/device/` — hwmon `power1_input`
 * (instant) or `power1_average` (average), µW; `mem_info_vram_used`/`_total`, `gpu_busy_percent`,
 * hwmon `temp1_input` (m°C) and `freq1_input` (Hz). The root is a parameter so tests read fixture
 * trees. Unreadable or missing files are absent values.
 */
import { finiteNumber } from '../sanity.js';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Reading } from '../types.js';

export interface SysfsCard {
  card: string;
  id: string;
  busId?: string;
  deviceDir: string;
  hwmonDir?: string;
  /** Which power file is read: `power1_input` (instant) or `power1_average`. */
  powerFile?: 'power1_input' | 'power1_average';
  vramTotalBytes?: number;
  /** A small VRAM carve-out means an APU: its power figure includes the CPU cores. */
  apu: boolean;
  /** `device/device`, the PCI device id (`0x67df`), which decides `power1_average`'s width. */
  pciDeviceId?: string;
}

const readNum = (f: string): number | undefined => {
  try {
    const t = readFileSync(f, 'utf8').trim();
    return /^-?\d+(\.\d+)?$/.test(t) ? finiteNumber(t) : undefined;
  } catch {
    return undefined;
  }
};

const readText = (f: string): string | undefined => {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** AMD cards under `root` (default /sys/class/drm). A card whose vendor file says another vendor is skipped. */
export function findAmdCards(root = '/sys/class/drm'): SysfsCard[] {
  let entries: string[];
  try {
    entries = readdirSync(root).filter((e) => /^card\d+$/.test(e));
  } catch {
    return [];
  }
  const cards: SysfsCard[] = [];
  for (const card of entries.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))) {
    const dev = join(root, card, 'device');
    const vendor = readText(join(dev, 'vendor'));
    if (vendor !== undefined && vendor.toLowerCase() !== '0x1002') continue;
    let hwmonDir: string | undefined;
    try {
      const h = readdirSync(join(dev, 'hwmon'))
        .filter((x) => /^hwmon\d+$/.test(x))
        .sort();
      hwmonDir =
        h.map((x) => join(dev, 'hwmon', x)).find((d) => readNum(join(d, 'power1_input')) !== undefined || readNum(join(d, 'power1_average')) !== undefined) ??
        (h[0] ? join(dev, 'hwmon', h[0]) : undefined);
    } catch {
      hwmonDir = undefined;
    }
    if (!hwmonDir && vendor === undefined) continue; // not an amdgpu card we can read
    let busId: string | undefined;
    try {
      const real = basename(realpathSync(dev));
      if (/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d$/i.test(real)) busId = real;
    } catch {
      busId = undefined;
    }
    const c: SysfsCard = { card, id: busId ?? card, deviceDir: dev, apu: false };
    if (busId) c.busId = busId;
    const pciDeviceId = readText(join(dev, 'device'));
    if (pciDeviceId && /^0x[0-9a-f]{4}$/i.test(pciDeviceId)) c.pciDeviceId = pciDeviceId.toLowerCase();
    if (hwmonDir) {
      c.hwmonDir = hwmonDir;
      if (readNum(join(hwmonDir, 'power1_input')) !== undefined) c.powerFile = 'power1_input';
      else if (readNum(join(hwmonDir, 'power1_average')) !== undefined) c.powerFile = 'power1_average';
    }
    const total = readNum(join(dev, 'mem_info_vram_total'));
    if (total !== undefined) {
      c.vramTotalBytes = total;
      c.apu = total < 1024 ** 3;
    }
    cards.push(c);
  }
  return cards;
}

/** One reading of a card (the files are read at once; each is a few µs). */
export function readCard(c: SysfsCard, tMs: number): Reading {
  const r: Reading = { deviceId: c.id, tMs };
  if (c.hwmonDir && c.powerFile) {
    const uw = readNum(join(c.hwmonDir, c.powerFile));
    if (uw !== undefined) {
      r.powerWatts = uw / 1e6;
      r.powerKind = c.powerFile === 'power1_input' ? 'instant' : 'average';
    }
  }
  const used = readNum(join(c.deviceDir, 'mem_info_vram_used'));
  if (used !== undefined) r.vramUsedBytes = used;
  const busy = readNum(join(c.deviceDir, 'gpu_busy_percent'));
  if (busy !== undefined) r.utilizationPercent = busy;
  if (c.hwmonDir) {
    const mc = readNum(join(c.hwmonDir, 'temp1_input'));
    if (mc !== undefined) r.temperatureC = mc / 1000;
    const hz = readNum(join(c.hwmonDir, 'freq1_input'));
    if (hz !== undefined) r.clockMhz = hz / 1e6;
  }
  return r;
}
