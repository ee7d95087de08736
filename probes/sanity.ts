/**
 * The last line of defence against garbage that parses: a value no device can have (negative power,
 * a 10^300 W reading from a corrupted line, utilization of 250 %) is dropped, so it is absent —
 * never stored, integrated or exported. Ranges are generous: any real GPU, SoC or host fits.
 */
import type { Reading } from './types.js';

const RANGES: [keyof Reading, number, number][] = Object.entries({
  powerWatts: [0, 20_000],
  energyJoules: [0, 1e15],
  vramUsedBytes: [0, 2 ** 50],
  processVramBytes: [0, 2 ** 50],
  utilizationPercent: [0, 100],
  temperatureC: [-60, 250],
  clockMhz: [0, 20_000],
  cpuPercent: [0, 100_000],
  ramUsedBytes: [0, 2 ** 56],
  vramFreeBytes: [0, 2 ** 50],
  pcieRxBytes: [0, 2 ** 64],
  pcieTxBytes: [0, 2 ** 64],
  // PCIe 6.0 x16 moves ~128 GB/s a direction
  pcieRxBytesPerSec: [0, 1e12],
  pcieTxBytesPerSec: [0, 1e12],
  generatorRssBytes: [0, 2 ** 56],
  swapInBytes: [0, 2 ** 64],
  swapOutBytes: [0, 2 ** 64],
}).map(([k, [lo, hi]]) => [k as keyof Reading, lo, hi]);

/** The reading without values outside what hardware can report (the same object when all are fine). */
export function sanitizeReading(r: Reading): Reading {
  let out: Reading | undefined;
  // Called for every reading of every device: a flat table, no allocation unless a value is dropped.
  for (const [k, lo, hi] of RANGES) {
    const v = r[k];
    if (v === undefined) continue;
    if (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi) continue;
    out ??= { ...r };
    delete out[k];
    if (k === 'powerWatts') delete out.powerKind;
  }
  return out ?? r;
}

/** A number from text, or undefined when it is not a finite number (`1e999`, 400 digits, `NaN`). */
export function finiteNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** Output that is not the tool's format at all (not JSON, not XML, the wrong root): the probe reports it. */
export class VendorFormatError extends Error {
  readonly vendorFormat = true;
}

/** JSON.parse with a {@link VendorFormatError} naming the tool. */
export function parseVendorJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new VendorFormatError(`${what} output is not JSON (${(err as Error).message.split('\n')[0].slice(0, 120)})`, { cause: err });
  }
}

/** Removes fields whose number is not finite (a finite garbage value times a unit can overflow). */
export function dropNonFinite<T>(o: T): T {
  if (Array.isArray(o)) o.forEach((x) => dropNonFinite(x));
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && !Number.isFinite(v)) delete (o as Record<string, unknown>)[k];
      else if (v && typeof v === 'object') dropNonFinite(v);
    }
  }
  return o;
}
