/**
 * `nvidia-smi dmon` lines (pure) on real H100 captures: `dmon -s pucm` under load, and `dmon -s t`
 * beside a real SDXL pipeline that moves its weights to host RAM after every image and back
 * (bench/gpu/pcie-capture.py, fixtures/SOURCES.md); the probe's dmon stream against the fake
 * nvidia-smi replaying them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDmonLine, type DmonState } from '../../../probes/nvidia/nvidia-smi-dmon.js';
import { NvidiaSmiProbe } from '../../../probes/nvidia/nvidia-smi-probe.js';
import type { Gap, Reading } from '../../../probes/types.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';
import { ROOT, waitFor } from '../../helpers/gen.js';

const CAPTURE = readFileSync(join(ROOT, 'fixtures/nvidia/nvidia-smi-dmon-spucm_h100-sxm_drv580_under-load.txt'), 'utf8').split('\n');
const PCIE = readFileSync(join(ROOT, 'fixtures/nvidia/nvidia-smi-dmon-st_h100-sxm_drv580_sdxl-offload.txt'), 'utf8').split('\n');
const FAKE = join(import.meta.dirname, '../../fakes/bin/nvidia-smi');

describe('nvidia-smi dmon lines', () => {
  it('the real capture: the header names the columns (the units line does not), every row is GPU 0; without PCIe columns a row carries no PCIe figure', () => {
    const st: DmonState = { columns: null };
    expect(parseDmonLine('    0     72     34', st)).toEqual({ kind: 'bad' }); // a row before any header
    const kinds = CAPTURE.map((l) => parseDmonLine(l, st));
    expect(kinds.slice(0, 2).map((k) => k.kind)).toEqual(['header', 'header']);
    expect(st.columns?.slice(0, 3)).toEqual(['gpu', 'pwr', 'gtemp']);
    const rows = kinds.filter((k) => k.kind === 'row');
    expect(rows.length).toBe(CAPTURE.filter((l) => /^\s+\d/.test(l)).length);
    expect(rows.every((r) => r.kind === 'row' && r.index === 0 && Object.keys(r.reading).length === 0)).toBe(true);
  });

  it('the real `dmon -s t` capture: rxpci is host→GPU and txpci GPU→host, MB/s of 2^20 bytes; the header dmon repeats mid-stream is read again', () => {
    const st: DmonState = { columns: null };
    const kinds = PCIE.map((l) => parseDmonLine(l, st));
    expect(st.columns).toEqual(['gpu', 'rxpci', 'txpci']);
    expect(kinds.filter((k) => k.kind === 'header').length).toBe(PCIE.filter((l) => l.startsWith('#')).length);
    expect(kinds.filter((k) => k.kind === 'bad')).toEqual([]);
    const rows = kinds.flatMap((k) => (k.kind === 'row' ? [k.reading] : []));
    expect(rows.length).toBe(53);
    // the reload before an image: 4351 MB/s host→GPU, 401 MB/s back, in the row that says so
    expect(rows).toContainEqual({ pcieRxBytesPerSec: 4351 * 2 ** 20, pcieTxBytesPerSec: 401 * 2 ** 20 });
    // the whole capture, one row a second: 17.49 GB host→GPU; NVML's byte counter over the same run
    // (fixtures/nvidia/nvml-pcie-counters_…csv) counted 17.76 GB — dmon's 20 ms sample of each second
    // catches the ~1 s reloads; it misses some of the shorter GPU→host bursts (13.1 GB vs 24.9 GB)
    const gb = (k: 'pcieRxBytesPerSec' | 'pcieTxBytesPerSec') => rows.reduce((a, r) => a + (r[k] ?? 0), 0) / 1e9;
    expect(gb('pcieRxBytesPerSec')).toBeCloseTo(17.49, 2);
    expect(gb('pcieTxBytesPerSec')).toBeCloseTo(13.12, 2);
  });

  it('garbage, a short row, a negative or non-numeric GPU index: bad, never a reading', () => {
    const st: DmonState = { columns: null };
    parseDmonLine(CAPTURE[0], st);
    for (const l of ['\u001b[2J garbage', '    0     72', `   -1${CAPTURE[2].slice(5)}`, `   x${CAPTURE[2].slice(4)}`])
      expect(parseDmonLine(l, st).kind).toBe('bad');
    expect(parseDmonLine('   ', st).kind).toBe('skip');
  });
});

describe('the nvidia-smi probe streams dmon beside the query', () => {
  let probe: NvidiaSmiProbe | undefined;
  afterEach(async () => {
    await probe?.close();
    delete process.env.FAKE_NVSMI_DMON;
  });

  async function stream(dmon: 'replay' | 'pucm' | 'exit') {
    if (dmon !== 'replay') process.env.FAKE_NVSMI_DMON = dmon;
    probe = new NvidiaSmiProbe({ command: FAKE });
    await probe.detect();
    const readings: Reading[] = [];
    const gaps: Gap[] = [];
    const notes: string[] = [];
    probe.start({ reading: (r) => readings.push(r), gap: (g) => gaps.push(g), note: (_n, m) => notes.push(m) }, intervalPolicy(100));
    await waitFor(
      () =>
        readings.filter((r) => r.powerWatts !== undefined).length >= 15 &&
        (dmon === 'pucm' || notes.length > 0 || readings.filter((r) => r.pcieRxBytesPerSec !== undefined).length >= 2),
      20_000,
    );
    await probe.close();
    return { readings, gaps, notes };
  }

  it('dmon -s t replayed: PCIe rates arrive on their own readings of the GPU, power flows, no gap', async () => {
    const { readings, gaps } = await stream('replay');
    const rated = readings.filter((r) => r.pcieRxBytesPerSec !== undefined);
    expect(rated[0]).toMatchObject({
      deviceId: readings.find((r) => r.powerWatts !== undefined)!.deviceId,
      pcieRxBytesPerSec: 6 * 2 ** 20,
      pcieTxBytesPerSec: 9 * 2 ** 20,
    });
    expect(rated.every((r) => r.powerWatts === undefined)).toBe(true);
    expect(gaps).toEqual([]);
  });

  it('a dmon without PCIe columns: power flows, no PCIe figure is made up, no gap', async () => {
    const { readings, gaps } = await stream('pucm');
    expect(readings.some((r) => r.pcieRxBytesPerSec !== undefined || r.pcieTxBytesPerSec !== undefined)).toBe(false);
    expect(gaps).toEqual([]);
  });

  it('a dmon that fails (an older tool): power readings go on without a gap; the failure is a note', async () => {
    const { readings, gaps, notes } = await stream('exit');
    expect(readings.filter((r) => r.powerWatts !== undefined).length).toBeGreaterThanOrEqual(15);
    expect(gaps).toEqual([]);
    expect(notes.some((n) => /nvidia-smi ended .*Invalid combination/.test(n))).toBe(true);
  });
});
