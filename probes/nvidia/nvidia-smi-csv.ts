/**
 * Pure parsers for `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` output.
 * Text in, values out: no I/O here.
 */
import type { Reading } from '../types.js';

const MIB = 1024 * 1024;

/** Values nvidia-smi prints when it has no number. Bracketed or not, depending on version. */
const NO_VALUE = /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost|Not Available|Requested functionality has been deprecated)\]?$/i;

/** Header names that differ from the query names (`clocks.sm` prints as `clocks.current.sm [MHz]`). */
const HEADER_ALIASES: Record<string, string> = {
  'clocks.current.sm': 'clocks.sm',
  'clocks.current.graphics': 'clocks.gr',
  'clocks.current.memory': 'clocks.mem',
  'clocks.current.video': 'clocks.video',
  gpu_name: 'name',
  'gpu.power.draw.instant': 'power.draw.instant',
  'gpu.power.draw.average': 'power.draw.average',
  gpu_bus_id: 'pci.bus_id',
  gpu_uuid: 'uuid',
};

/** Canonical field name for a query name or a CSV header cell (`power.draw [W]` → `power.draw`). */
export function canonicalField(name: string): string {
  const bare = name
    .trim()
    .replace(/\s*\[[^\]]*\]\s*$/, '')
    .trim();
  return HEADER_ALIASES[bare] ?? bare;
}

/** Split one CSV line of nvidia-smi output. Values never contain quotes; separators are `, `. */
export function splitCsvLine(line: string): string[] {
  return line
    .replace(/\r$/, '')
    .split(',')
    .map((s) => s.trim());
}

/** A cell as text, or undefined for `[N/A]`, `[Not Supported]`, empty. */
export function cellText(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (s === '' || NO_VALUE.test(s)) return undefined;
  return s;
}

/** A cell as a number: strips a unit (`70.54 W`, `81559 MiB`, `0 %`, `345 MHz`); undefined if none. */
export function cellNumber(raw: string | undefined): number | undefined {
  const s = cellText(raw);
  if (s === undefined) return undefined;
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*(W|mW|MiB|GiB|KiB|%|MHz|C))?$/.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!Number.isFinite(v)) return undefined;
  if (m[2] === 'mW') return v / 1000;
  if (m[2] === 'GiB') return v * 1024;
  if (m[2] === 'KiB') return v / 1024;
  return v;
}

/**
 * nvidia-smi's `timestamp` (`YYYY/MM/DD HH:MM:SS.mmm`, local time) as epoch ms; undefined if it
 * does not look like one.
 */
export function parseTimestamp(raw: string | undefined): number | undefined {
  const s = cellText(raw);
  if (!s) return undefined;
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(s);
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const t = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** A row as a map from canonical field name to raw cell. Short rows leave the missing fields out. */
export function rowToRecord(fields: readonly string[], cells: readonly string[]): Record<string, string> {
  const rec: Record<string, string> = {};
  for (let i = 0; i < fields.length && i < cells.length; i++) rec[canonicalField(fields[i])] = cells[i];
  return rec;
}

/** The stable id of the GPU a row describes: PCI bus id, else UUID, else `nvidia-<index>`. */
export function deviceKey(rec: Record<string, string>): string | undefined {
  const bus = cellText(rec['pci.bus_id']);
  if (bus) return bus.toLowerCase();
  const uuid = cellText(rec['uuid']);
  if (uuid) return uuid;
  const idx = cellNumber(rec['index']);
  if (idx !== undefined) return `nvidia-${idx}`;
  return undefined;
}

/**
 * The reading in one row. Power: `power.draw.instant` when it has a value (kind `instant`), else
 * `power.draw` (kind `average`: a 1 s running average on Ampere and newer). Absent stays absent.
 */
export function rowToReading(rec: Record<string, string>, deviceId: string, tMs: number): Reading {
  const r: Reading = { deviceId, tMs };
  const instant = cellNumber(rec['power.draw.instant']);
  const average = cellNumber(rec['power.draw']) ?? cellNumber(rec['power.draw.average']);
  if (instant !== undefined) {
    r.powerWatts = instant;
    r.powerKind = 'instant';
  } else if (average !== undefined) {
    r.powerWatts = average;
    r.powerKind = 'average';
  }
  const used = cellNumber(rec['memory.used']);
  if (used !== undefined) r.vramUsedBytes = used * MIB;
  const util = cellNumber(rec['utilization.gpu']);
  if (util !== undefined) r.utilizationPercent = util;
  const temp = cellNumber(rec['temperature.gpu']);
  if (temp !== undefined) r.temperatureC = temp;
  const clock = cellNumber(rec['clocks.sm']) ?? cellNumber(rec['clocks.gr']);
  if (clock !== undefined) r.clockMhz = clock;
  return r;
}

/** Static facts in a detection row. */
export interface NvidiaGpuFacts {
  id: string;
  index?: number;
  uuid?: string;
  busId?: string;
  name: string;
  vramTotalBytes?: number;
  powerLimitWatts?: number;
  driverVersion?: string;
}

export function rowToFacts(rec: Record<string, string>): NvidiaGpuFacts | undefined {
  const id = deviceKey(rec);
  if (!id) return undefined;
  const total = cellNumber(rec['memory.total']);
  const limit = cellNumber(rec['enforced.power.limit']) ?? cellNumber(rec['power.limit']);
  const facts: NvidiaGpuFacts = { id, name: cellText(rec['name']) ?? 'NVIDIA GPU' };
  const index = cellNumber(rec['index']);
  if (index !== undefined) facts.index = index;
  const uuid = cellText(rec['uuid']);
  if (uuid) facts.uuid = uuid;
  const bus = cellText(rec['pci.bus_id']);
  if (bus) facts.busId = bus;
  if (total !== undefined) facts.vramTotalBytes = total * MIB;
  if (limit !== undefined) facts.powerLimitWatts = limit;
  const drv = cellText(rec['driver_version']);
  if (drv) facts.driverVersion = drv;
  return facts;
}

/**
 * Parse a whole CSV capture. With a header line (`--format=csv`), fields come from it; without,
 * pass the query's field list. Lines that do not split into the expected shape are counted, not
 * thrown.
 */
export function parseCsv(text: string, queryFields?: readonly string[]): { fields: string[]; rows: Record<string, string>[]; bad: number } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let fields = queryFields ? [...queryFields] : [];
  let start = 0;
  if (lines.length > 0 && looksLikeHeader(lines[0])) {
    fields = splitCsvLine(lines[0]).map(canonicalField);
    start = 1;
  }
  const rows: Record<string, string>[] = [];
  let bad = 0;
  for (const line of lines.slice(start)) {
    const cells = splitCsvLine(line);
    if (cells.length < 2 || cells.length > fields.length + 2) {
      bad++;
      continue;
    }
    rows.push(rowToRecord(fields, cells));
  }
  return { fields, rows, bad };
}

/** A header line names fields (`power.draw [W]`, `timestamp`) rather than holding values. */
export function looksLikeHeader(line: string): boolean {
  const cells = splitCsvLine(line);
  return (
    cells.length > 0 &&
    cells.every((c) => /^[a-z_][a-z0-9_.]*(\s*\[[^\]]+\])?$/i.test(c)) &&
    cells.some((c) => c.includes('.') || c === 'name' || c === 'timestamp' || c === 'uuid')
  );
}
