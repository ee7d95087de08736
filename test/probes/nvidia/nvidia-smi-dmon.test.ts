/**
 * `nvidia-smi dmon` lines (pure) on the real capture of `dmon -s pucm` from the H100
 * (fixtures/nvidia/nvidia-smi-dmon-spucm_h100-sxm_drv580_under-load.txt), and the probe's dmon
 * stream against the fake nvidia-smi replaying it. No real `dmon -s t` output is in the capture set
 * (bench/gpu/pcie-capture.py records one on the next lent GPU): its `rxpci`/`txpci` columns are read
 * by the same header rule, and are not exercised here with invented lines.
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

  async function stream(dmon: 'replay' | 'exit') {
    if (dmon === 'exit') process.env.FAKE_NVSMI_DMON = 'exit';
    probe = new NvidiaSmiProbe({ command: FAKE });
    await probe.detect();
    const readings: Reading[] = [];
    const gaps: Gap[] = [];
    const notes: string[] = [];
    probe.start({ reading: (r) => readings.push(r), gap: (g) => gaps.push(g), note: (_n, m) => notes.push(m) }, intervalPolicy(100));
    await waitFor(() => readings.filter((r) => r.powerWatts !== undefined).length >= 15 && (dmon === 'replay' || notes.length > 0), 20_000);
    await probe.close();
    return { readings, gaps, notes };
  }

  it('a dmon without PCIe columns: power flows, no PCIe figure is made up, no gap', async () => {
    const { readings, gaps } = await stream('replay');
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
