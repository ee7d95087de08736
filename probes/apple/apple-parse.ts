import { dropNonFinite, finiteNumber } from '../sanity.js';
/**
 * Apple Silicon readings (pure): `powermetrics` text blocks (needs root; mW; layout varies by chip
 * and macOS, the GPU section may be absent) and `macmon pipe` JSON lines (no root; W).
 */

export interface PowermetricsSample {
  /** The block's own clock (header date), epoch ms. */
  tMs?: number;
  elapsedMs?: number;
  gpuPowerWatts?: number;
  cpuPowerWatts?: number;
  gpuActiveMhz?: number;
  gpuActivePercent?: number;
}

const HEADER = /^\*\*\* Sampled system activity \((.+?)\) \(([\d.]+)ms elapsed\) \*\*\*/;

export function isPowermetricsHeader(line: string): boolean {
  return HEADER.test(line.trim());
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Fri Jan 24 21:57:44 2025 +0100` → epoch ms. */
export function parsePowermetricsDate(s: string): number | undefined {
  const m = /^\w{3} (\w{3})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) ([+-])(\d{2})(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const mon = MONTHS.indexOf(m[1]);
  if (mon < 0) return undefined;
  const utc = Date.UTC(Number(m[6]), mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  const off = (Number(m[8]) * 60 + Number(m[9])) * 60000 * (m[7] === '+' ? 1 : -1);
  return utc - off;
}

/** One sample block (from its `*** Sampled system activity` header to the next). */
export function parsePowermetricsBlock(text: string): PowermetricsSample | null {
  const lines = text.split('\n');
  const head = lines.map((l) => HEADER.exec(l.trim())).find(Boolean);
  if (!head) return null;
  const elapsedMs = finiteNumber(head[2]);
  if (elapsedMs === undefined) return null;
  const out: PowermetricsSample = { elapsedMs };
  const t = parsePowermetricsDate(head[1]);
  if (t !== undefined) out.tMs = t;
  for (const raw of lines) {
    const l = raw.trim();
    let m: RegExpExecArray | null;
    let v: number | undefined;
    // A number too large to be finite is garbage: the field stays absent.
    if ((m = /^GPU Power: (\d+(?:\.\d+)?) mW$/.exec(l))) {
      if ((v = finiteNumber(m[1])) !== undefined) out.gpuPowerWatts = v / 1000;
    } else if ((m = /^CPU Power: (\d+(?:\.\d+)?) mW$/.exec(l))) {
      if ((v = finiteNumber(m[1])) !== undefined) out.cpuPowerWatts = v / 1000;
    } else if ((m = /^GPU HW active frequency: (\d+(?:\.\d+)?) MHz$/.exec(l))) {
      if ((v = finiteNumber(m[1])) !== undefined) out.gpuActiveMhz = v;
    } else if ((m = /^GPU HW active residency:\s+(\d+(?:\.\d+)?)%/.exec(l))) {
      if ((v = finiteNumber(m[1])) !== undefined) out.gpuActivePercent = v;
    } else if ((m = /^GPU idle residency:\s+(\d+(?:\.\d+)?)%$/.exec(l)) && out.gpuActivePercent === undefined) {
      if ((v = finiteNumber(m[1])) !== undefined) out.gpuActivePercent = Math.round((100 - v) * 100) / 100;
    }
  }
  return out;
}

export interface MacmonSample {
  gpuPowerWatts?: number;
  gpuMhz?: number;
  gpuActivePercent?: number;
  gpuTemperatureC?: number;
  ramUsedBytes?: number;
  ramTotalBytes?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One `macmon pipe` line; null when it is not a JSON object. Missing or odd fields are absent. */
export function parseMacmonLine(line: string): MacmonSample | null {
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return null;
  const o = j as Record<string, unknown>;
  const out: MacmonSample = {};
  const p = num(o.gpu_power);
  if (p !== undefined && p >= 0) out.gpuPowerWatts = p;
  if (Array.isArray(o.gpu_usage)) {
    const [mhz, frac] = o.gpu_usage as unknown[];
    if (num(mhz) !== undefined) out.gpuMhz = num(mhz);
    if (num(frac) !== undefined) out.gpuActivePercent = Math.round(num(frac)! * 10000) / 100;
  }
  const temp = o.temp as Record<string, unknown> | undefined;
  if (temp && num(temp.gpu_temp_avg) !== undefined) out.gpuTemperatureC = num(temp.gpu_temp_avg);
  const mem = o.memory as Record<string, unknown> | undefined;
  if (mem) {
    if (num(mem.ram_usage) !== undefined) out.ramUsedBytes = num(mem.ram_usage);
    if (num(mem.ram_total) !== undefined) out.ramTotalBytes = num(mem.ram_total);
  }
  return dropNonFinite(out);
}
