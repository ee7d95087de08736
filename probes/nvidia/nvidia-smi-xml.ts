/**
 * Static facts from `nvidia-smi -q -x` (pure), parsed with a real XML parser. The power block moved
 * between drivers: `power_readings/power_draw` (≤ 530), `gpu_power_readings/power_draw` (535),
 * `gpu_power_readings/average_power_draw` + `instant_power_draw` (550+). Values like `N/A` or
 * `[Not Supported]` are absent.
 */
import { finiteNumber, VendorFormatError } from '../sanity.js';
import { XMLParser } from 'fast-xml-parser';

export interface XmlGpu {
  busId?: string;
  uuid?: string;
  name?: string;
  vramTotalBytes?: number;
  powerLimitWatts?: number;
  powerDrawWatts?: number;
  /** `instant` only where the driver prints instant_power_draw (550+). */
  powerDrawKind?: 'instant' | 'average';
  powerLayout: 'power_readings' | 'gpu_power_readings' | 'gpu_power_readings (average + instant)' | 'none';
  /** `product_architecture` (Pascal, Ampere, Hopper…), where the driver prints it. */
  architecture?: string;
}

export interface XmlFacts {
  driverVersion?: string;
  gpus: XmlGpu[];
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = (typeof v === 'object' ? String((v as Record<string, unknown>)['#text'] ?? '') : String(v)).trim();
  return s === '' || /^(N\/A|\[.*\])$/i.test(s) ? undefined : s;
}

function number(v: unknown, unit?: string): number | undefined {
  const s = text(v);
  if (!s) return undefined;
  const m = /^(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(s);
  if (!m) return undefined;
  if (unit && m[2] && m[2] !== unit) return undefined;
  return finiteNumber(m[1]);
}

export function parseNvidiaSmiXml(xml: string): XmlFacts {
  const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: true, processEntities: false });
  let doc: Record<string, Record<string, unknown>>;
  try {
    doc = parser.parse(xml) as Record<string, Record<string, unknown>>;
  } catch (err) {
    throw new VendorFormatError(`nvidia-smi -q -x output is not XML (${(err as Error).message})`, { cause: err });
  }
  const log = doc.nvidia_smi_log;
  if (!log || typeof log !== 'object') throw new VendorFormatError('not nvidia-smi -q -x output (no <nvidia_smi_log>)');
  const raw = log.gpu === undefined ? [] : Array.isArray(log.gpu) ? log.gpu : [log.gpu];
  const facts: XmlFacts = { gpus: [] };
  const dv = text(log.driver_version);
  if (dv) facts.driverVersion = dv;
  for (const g of raw as Record<string, unknown>[]) {
    const out: XmlGpu = { powerLayout: 'none' };
    const bus = text((g.pci as Record<string, unknown> | undefined)?.pci_bus_id) ?? text(g['@_id']);
    if (bus) out.busId = bus;
    const uuid = text(g.uuid);
    if (uuid) out.uuid = uuid;
    const name = text(g.product_name);
    if (name) out.name = name;
    const arch = text(g.product_architecture);
    if (arch) out.architecture = arch;
    const mib = number((g.fb_memory_usage as Record<string, unknown> | undefined)?.total, 'MiB');
    if (mib !== undefined) out.vramTotalBytes = mib * 1024 * 1024;
    const gpr = g.gpu_power_readings as Record<string, unknown> | undefined;
    const pr = g.power_readings as Record<string, unknown> | undefined;
    if (gpr && (gpr.instant_power_draw !== undefined || gpr.average_power_draw !== undefined)) {
      out.powerLayout = 'gpu_power_readings (average + instant)';
      const inst = number(gpr.instant_power_draw, 'W');
      const avg = number(gpr.average_power_draw, 'W');
      if (inst !== undefined) {
        out.powerDrawWatts = inst;
        out.powerDrawKind = 'instant';
      } else if (avg !== undefined) {
        out.powerDrawWatts = avg;
        out.powerDrawKind = 'average';
      }
    } else if (gpr || pr) {
      const block = (gpr ?? pr)!;
      out.powerLayout = gpr ? 'gpu_power_readings' : 'power_readings';
      const draw = number(block.power_draw, 'W');
      if (draw !== undefined) {
        out.powerDrawWatts = draw;
        out.powerDrawKind = 'average';
      }
    }
    const block = gpr ?? pr;
    if (block) {
      const limit = number(block.enforced_power_limit, 'W') ?? number(block.current_power_limit, 'W') ?? number(block.power_limit, 'W');
      if (limit !== undefined) out.powerLimitWatts = limit;
    }
    facts.gpus.push(out);
  }
  return facts;
}
