/**
 * NVML's PCIe byte counters as one growing count, on the real capture from an H100 (driver
 * 580.159.04) beside a real SDXL pipeline that moves its 5.30 GB of weights to host RAM after every
 * image and back (fixtures/nvidia/nvml-pcie-counters_h100-sxm_drv580_sdxl-offload*.{csv,jsonl}): the
 * driver answers fields 197/198 as a 32-bit unsigned int (valueType 1), which wraps every 4 GiB.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldBits, unwrapPcie, pcieCounters, WrappingCounter } from '../../../probes/nvidia/pcie-counter.js';
import { FI_DEV_PCIE_COUNT_RX_BYTES, FI_DEV_PCIE_COUNT_TX_BYTES } from '../../../probes/nvidia/nvml-binding.js';
import { ROOT } from '../../helpers/gen.js';

const DIR = join(ROOT, 'fixtures/nvidia');
const FACTS = JSON.parse(readFileSync(join(DIR, 'nvml-pcie-counters_h100-sxm_drv580_facts.json'), 'utf8')) as { field_type: number[] };
const ROWS = readFileSync(join(DIR, 'nvml-pcie-counters_h100-sxm_drv580_sdxl-offload.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','))
  .map((c) => ({ tMs: Number(c[0]), tx: Number(c[1]), rx: Number(c[2]) }));
const EVENTS = readFileSync(join(DIR, 'nvml-pcie-counters_h100-sxm_drv580_sdxl-offload_gen.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { ev: string; t: number; batch?: number; bytes?: number });
const WEIGHTS = EVENTS.find((e) => e.ev === 'weights')!.bytes!;

function unwrapped(key: 'rx' | 'tx'): { tMs: number; bytes: number }[] {
  const c = new WrappingCounter();
  return ROWS.map((r) => ({ tMs: r.tMs, bytes: c.feed(r[key], fieldBits(FACTS.field_type[0]), r.tMs).bytes }));
}

/** The count at the read nearest to an event of the pipeline's log. */
function at(series: { tMs: number; bytes: number }[], tSec: number): number {
  return series.reduce((best, p) => (Math.abs(p.tMs - tSec * 1000) < Math.abs(best.tMs - tSec * 1000) ? p : best)).bytes;
}

describe('PCIe byte counters (NVML fields 197/198)', () => {
  it('the real driver answers them as 32-bit unsigned ints, and the raw counts wrap several times in the capture', () => {
    expect(FACTS.field_type).toEqual([1, 1]);
    expect(fieldBits(1)).toBe(32);
    expect(fieldBits(undefined)).toBe(64);
    const wraps = ROWS.filter((r, i) => i > 0 && r.rx < ROWS[i - 1].rx).length;
    expect(wraps).toBeGreaterThanOrEqual(4);
    expect(Math.max(...ROWS.map((r) => r.rx))).toBeLessThan(2 ** 32);
  });

  it('unwrapped: never goes back; each reload before an image is the weights plus PCIe overhead (1.05-1.12x), each offload after one too', () => {
    const rx = unwrapped('rx');
    const tx = unwrapped('tx');
    expect(rx.every((p, i) => i === 0 || p.bytes >= rx[i - 1].bytes)).toBe(true);
    const saved = EVENTS.filter((e) => e.ev === 'image_saved');
    const offloaded = EVENTS.filter((e) => e.ev === 'offloaded');
    for (let b = 1; b < saved.length; b++) {
      const reload = at(rx, saved[b].t) - at(rx, offloaded[b - 1].t);
      expect(reload / WEIGHTS).toBeGreaterThan(1.05);
      expect(reload / WEIGHTS).toBeLessThan(1.12);
    }
    for (let b = 0; b < offloaded.length; b++) {
      const out = at(tx, offloaded[b].t) - at(tx, saved[b].t);
      expect(out / WEIGHTS).toBeGreaterThan(0.95);
      expect(out / WEIGHTS).toBeLessThan(1.12);
    }
  });

  it('summing only the steps forward (a wrap taken for a reset) loses the 100 ms step across each wrap: 12 % of the capture, what the unwrapping fixes', () => {
    const rx = unwrapped('rx');
    const total = rx[rx.length - 1].bytes - rx[0].bytes;
    const forwardOnly = ROWS.reduce((a, r, i) => a + (i > 0 && r.rx >= ROWS[i - 1].rx ? r.rx - ROWS[i - 1].rx : 0), 0);
    expect(total / WEIGHTS).toBeGreaterThan(3); // three reloads of 5.30 GB
    expect(forwardOnly / total).toBeLessThan(0.92);
  });

  it('reads more than a second apart may hide whole wraps: counted as the least they can be, and flagged', () => {
    const c = new WrappingCounter();
    expect(c.feed(4e9, 32, 0)).toEqual({ bytes: 4e9, unsure: false });
    expect(c.feed(1e8, 32, 100)).toEqual({ bytes: 2 ** 32 + 1e8, unsure: false });
    expect(c.feed(2e8, 32, 1300)).toEqual({ bytes: 2 ** 32 + 2e8, unsure: true });
    // 64-bit values pass through untouched (a step back there is a reset, left out downstream)
    const w = new WrappingCounter();
    w.feed(9e12, 64, 0);
    expect(w.feed(5, 64, 100)).toEqual({ bytes: 5, unsure: false });
  });

  it('unwrapPcie rewrites a reading with the widths from the same call', () => {
    const c = pcieCounters();
    const fields = [
      { fieldId: FI_DEV_PCIE_COUNT_RX_BYTES, ret: 0, timestampUs: 0, value: 0, valueType: 1 },
      { fieldId: FI_DEV_PCIE_COUNT_TX_BYTES, ret: 0, timestampUs: 0, value: 0, valueType: 1 },
    ];
    unwrapPcie(c, fields, { deviceId: 'g', tMs: 0, pcieRxBytes: 4.2e9, pcieTxBytes: 10 });
    const r = { deviceId: 'g', tMs: 100, pcieRxBytes: 3e8, pcieTxBytes: 20 };
    expect(unwrapPcie(c, fields, r)).toBe(false);
    expect(r).toEqual({ deviceId: 'g', tMs: 100, pcieRxBytes: 2 ** 32 + 3e8, pcieTxBytes: 20 });
  });
});
