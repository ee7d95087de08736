/**
 * AMD readings (pure). amd-smi `metric --json`: an array or `{gpu_data: [...]}`, leaves
 * `{value, unit}` or "N/A". rocm-smi `--json`: every value a string, key names changing between
 * versions (`GPU use (%)`, `Average Graphics Package Power (W)`, `VRAM Total Used Memory (B)`...).
 * "N/A" and anything non-numeric is absent, never 0.
 */
import { dropNonFinite, finiteNumber, parseVendorJson } from '../sanity.js';
import type { Reading } from '../types.js';

export interface AmdGpu {
  /** PCI bus id when the source gives one, else the tool's index. */
  id: string;
  index: number;
  busId?: string;
  name?: string;
  reading: Omit<Reading, 'deviceId' | 'tMs'>;
  vramTotalBytes?: number;
  powerLimitWatts?: number;
  /** Cumulative energy, J (amd-smi); trusted only after a check against power. */
  energyJoules?: number;
}

const MB = 1024 * 1024;

function numOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const m = /^\s*\(?(-?\d+(?:\.\d+)?)/.exec(v);
    if (!m || /^\s*N\/A/i.test(v)) return undefined;
    return finiteNumber(m[1]);
  }
  return undefined;
}

/** `{value, unit}` (or a bare number) → number in the unit asked; "N/A" → undefined. */
function leaf(v: unknown, want?: 'W' | 'MB' | 'C' | '%' | 'MHz' | 'J'): number | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'value' in (v as object)) {
    const { value, unit } = v as { value: unknown; unit?: string };
    const n = numOf(value);
    if (n === undefined) return undefined;
    if (want === 'W' && unit === 'mW') return n / 1000;
    if (want === 'MB' && unit === 'GB') return n * 1024;
    if (want === 'J' && unit === 'mJ') return n / 1000;
    return n;
  }
  return numOf(v);
}

function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** `amd-smi metric --json` output → GPUs. Throws on text that is not JSON. */
export function parseAmdSmiMetric(text: string): AmdGpu[] {
  const data: unknown = parseVendorJson(text, 'amd-smi metric --json');
  const list = Array.isArray(data) ? data : Array.isArray(get(data, 'gpu_data')) ? (get(data, 'gpu_data') as unknown[]) : [];
  return dropNonFinite(
    list.map((g, i) => {
      const index = numOf(get(g, 'gpu')) ?? i;
      const r: AmdGpu['reading'] = {};
      // socket_power is the package power the SMU reports (an average on most boards).
      const p = leaf(get(g, 'power', 'socket_power'), 'W') ?? leaf(get(g, 'power', 'average_socket_power'), 'W');
      if (p !== undefined) {
        r.powerWatts = p;
        r.powerKind = 'average';
      }
      const used = leaf(get(g, 'mem_usage', 'used_vram'), 'MB');
      if (used !== undefined) r.vramUsedBytes = used * MB;
      const util = leaf(get(g, 'usage', 'gfx_activity'), '%');
      if (util !== undefined) r.utilizationPercent = util;
      const temp = leaf(get(g, 'temperature', 'edge'), 'C') ?? leaf(get(g, 'temperature', 'hotspot'), 'C');
      if (temp !== undefined) r.temperatureC = temp;
      const clk = leaf(get(g, 'clock', 'gfx_0', 'clk'), 'MHz');
      if (clk !== undefined) r.clockMhz = clk;
      const out: AmdGpu = { id: `amd-${index}`, index, reading: r };
      const total = leaf(get(g, 'mem_usage', 'total_vram'), 'MB');
      if (total !== undefined) out.vramTotalBytes = total * MB;
      const e = leaf(get(g, 'energy', 'total_energy_consumption'), 'J');
      if (e !== undefined && e > 0) out.energyJoules = e;
      return out;
    }),
  );
}

/** `rocm-smi --json` output (a leading blank line is fine) → GPUs. Throws on text that is not JSON. */
export function parseRocmSmi(text: string): AmdGpu[] {
  const data = parseVendorJson(text, 'rocm-smi --json') as Record<string, Record<string, string>>;
  const cards = Object.keys(data)
    .filter((k) => /^card\d{1,6}$/.test(k))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  return dropNonFinite(
    cards.map((k) => {
      const c = data[k];
      const pick = (...names: string[]) => names.map((n) => c[n]).find((v) => v !== undefined);
      const index = Number(k.slice(4));
      const r: AmdGpu['reading'] = {};
      const p = numOf(pick('Average Graphics Package Power (W)', 'Current Socket Graphics Package Power (W)'));
      if (p !== undefined) {
        r.powerWatts = p;
        r.powerKind = 'average';
      }
      const used = numOf(pick('VRAM Total Used Memory (B)'));
      if (used !== undefined) r.vramUsedBytes = used;
      const util = numOf(pick('GPU use (%)'));
      if (util !== undefined) r.utilizationPercent = util;
      const temp = numOf(pick('Temperature (Sensor edge) (C)', 'Temperature (Sensor junction) (C)'));
      if (temp !== undefined) r.temperatureC = temp;
      const sclk = /(\d+)\s*Mhz/i.exec(pick('sclk clock speed:') ?? '');
      if (sclk) r.clockMhz = finiteNumber(sclk[1]);
      const bus = pick('PCI Bus');
      const out: AmdGpu = { id: bus && bus !== 'N/A' ? bus : `amd-${index}`, index, reading: r };
      if (bus && bus !== 'N/A') out.busId = bus;
      const name = pick('Device Name', 'Card Series', 'Card series');
      if (name && !/^0x/i.test(name)) out.name = name;
      const total = numOf(pick('VRAM Total Memory (B)'));
      if (total !== undefined) out.vramTotalBytes = total;
      const max = numOf(pick('Max Graphics Package Power (W)'));
      if (max !== undefined) out.powerLimitWatts = max;
      return out;
    }),
  );
}

export interface AmdStatic {
  index: number;
  busId?: string;
  name?: string;
  powerLimitWatts?: number;
  driverVersion?: string;
}

/** `amd-smi static --json` → per GPU: PCI bus id (to key GPUs), market name, power cap, driver. */
export function parseAmdSmiStatic(text: string): AmdStatic[] {
  const data: unknown = parseVendorJson(text, 'amd-smi static --json');
  const list = Array.isArray(data) ? data : Array.isArray(get(data, 'gpu_data')) ? (get(data, 'gpu_data') as unknown[]) : [];
  return dropNonFinite(
    list.map((g, i) => {
      const out: AmdStatic = { index: numOf(get(g, 'gpu')) ?? i };
      const bdf = get(g, 'bus', 'bdf');
      if (typeof bdf === 'string' && /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d$/i.test(bdf)) out.busId = bdf;
      const name = get(g, 'asic', 'market_name');
      if (typeof name === 'string' && name !== 'N/A') out.name = name;
      const cap = leaf(get(g, 'limit', 'socket_power'), 'W') ?? leaf(get(g, 'limit', 'max_power'), 'W');
      if (cap !== undefined) out.powerLimitWatts = cap;
      const dv = get(g, 'driver', 'version');
      if (typeof dv === 'string' && dv !== 'N/A') out.driverVersion = dv;
      return out;
    }),
  );
}
