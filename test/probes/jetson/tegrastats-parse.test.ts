/** tegrastats parsing on real captures (fixtures/jetson, provenance in fixtures/SOURCES.md). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseRail, parseTegrastatsLine } from '../../../probes/jetson/tegrastats-parse.js';

const DIR = join(import.meta.dirname, '../../../fixtures/jetson');
const lines = (f: string) =>
  readFileSync(join(DIR, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const MB = 1024 * 1024;

describe('tegrastats lines', () => {
  it('AGX Orin, JetPack 6: timestamp prefix, mW units, bracketed GR3D clock, VDD_GPU_SOC', () => {
    const [first] = lines('tegrastats_agx-orin-64gb_jp6_timestamped_mW.log');
    const t = parseTegrastatsLine(first)!;
    expect(t.tMs).toBe(new Date(2025, 6, 21, 16, 33, 42).getTime());
    expect(t.ramUsedBytes).toBe(17953 * MB);
    expect(t.ramTotalBytes).toBe(62841 * MB);
    expect(t.gpuPercent).toBe(39);
    expect(t.gpuClockMhz).toBe(305);
    expect(t.gpuTemperatureC).toBe(40.093);
    expect(t.rails).toEqual([
      { name: 'VDD_GPU_SOC', currentMw: 2798, averageMw: 2798 },
      { name: 'VDD_CPU_CV', currentMw: 799, averageMw: 799 },
      { name: 'VIN_SYS_5V0', currentMw: 3315, averageMw: 3315 },
    ]);
    expect(chooseRail(t.rails)).toEqual({ rail: 'VDD_GPU_SOC', scope: 'gpu+soc rail' });
  });

  it('every Orin line parses; the capture skips a second (16:33:46), which stays a gap', () => {
    const all = lines('tegrastats_agx-orin-64gb_jp6_timestamped_mW.log').map(parseTegrastatsLine);
    expect(all.every((x) => x !== null)).toBe(true);
    const secs = all.map((x) => new Date(x!.tMs!).getSeconds());
    expect(secs.slice(0, 5)).toEqual([42, 43, 44, 45, 47]);
  });

  it('mixed old boards: the date header is not a sample; TX2, TX1, TX2 with cores off, Xavier with bare rail names', () => {
    const all = lines('tegrastats_mixed-boards_tx2-tx1-tx2off-agxxavier_with-date-header.log').map(parseTegrastatsLine);
    expect(all[0]).toBeNull(); // "Thu Dec 17 18:16:50 UTC 2020"
    const [tx2, tx1, tx2off, xavier] = all.slice(1) as NonNullable<(typeof all)[number]>[];
    expect(tx2.rails.map((r) => r.name)).toEqual(['VDD_SYS_GPU', 'VDD_SYS_SOC', 'VDD_4V0_WIFI', 'VDD_IN', 'VDD_SYS_CPU', 'VDD_SYS_DDR']);
    expect(chooseRail(tx2.rails)).toEqual({ rail: 'VDD_SYS_GPU', scope: 'gpu rail' });
    expect(tx2.rails[0]).toEqual({ name: 'VDD_SYS_GPU', currentMw: 153, averageMw: 153 });
    expect(tx2.gpuPercent).toBe(0);
    expect(tx2.gpuClockMhz).toBeUndefined(); // "GR3D_FREQ 0%": no clock printed
    expect(tx2.gpuTemperatureC).toBe(32);
    expect(tx1.rails).toEqual([
      { name: 'VDD_IN', currentMw: 2532, averageMw: 2698 },
      { name: 'VDD_CPU', currentMw: 76, averageMw: 178 },
      { name: 'VDD_GPU', currentMw: 19, averageMw: 19 },
    ]);
    expect(tx1.gpuClockMhz).toBe(76);
    expect(tx2off.rails.find((r) => r.name === 'VDD_GPU')).toEqual({ name: 'VDD_GPU', currentMw: 400, averageMw: 735 });
    expect(xavier.ramTotalBytes).toBe(15692 * MB);
    expect(xavier.rails.map((r) => r.name)).toEqual(['GPU', 'CPU', 'SOC', 'CV', 'VDDRQ', 'SYS5V']);
    expect(chooseRail(xavier.rails)).toEqual({ rail: 'GPU', scope: 'gpu rail' });
  });

  it('Nano 4 GB: POM_5V rails without units, IRAM is not a rail', () => {
    const all = lines('tegrastats_nano-4gb_pom-rails_EXCERPT-first-lines.log');
    const third = parseTegrastatsLine(all[2])!;
    expect(third.rails).toEqual([
      { name: 'POM_5V_IN', currentMw: 2793, averageMw: 1750 },
      { name: 'POM_5V_GPU', currentMw: 76, averageMw: 25 },
      { name: 'POM_5V_CPU', currentMw: 1222, averageMw: 604 },
    ]);
    expect(third.gpuPercent).toBe(42);
    expect(third.gpuClockMhz).toBe(76);
    expect(chooseRail(third.rails)).toEqual({ rail: 'POM_5V_GPU', scope: 'gpu rail' });
    // The excerpt's last line is cut mid-way (the fixture is the first 57 lines of a larger file).
    const parsed = all.map(parseTegrastatsLine).filter((x) => x !== null);
    expect(parsed.length).toBeGreaterThanOrEqual(55);
  });

  it('a board with only a module-input rail reports it as such; no rails: no power', () => {
    expect(
      chooseRail([
        { name: 'VDD_IN', currentMw: 5000, averageMw: 5000 },
        { name: 'VDD_CPU', currentMw: 1, averageMw: 1 },
      ]),
    ).toEqual({ rail: 'VDD_IN', scope: 'module input' });
    expect(chooseRail([{ name: 'VDD_CPU_GPU_CV', currentMw: 1, averageMw: 1 }])).toEqual({ rail: 'VDD_CPU_GPU_CV', scope: 'cpu+gpu+cv rail' });
    expect(chooseRail([])).toBeNull();
    const noRails = parseTegrastatsLine('RAM 936/3964MB (lfb 366x4MB) CPU [10%@102] GR3D_FREQ 0%@76 GPU@28C')!;
    expect(noRails.rails).toEqual([]);
  });

  it('garbage is not a sample', () => {
    for (const g of ['', 'segmentation fault', '\u0000\u0001RAM', 'RAM x/yMB']) expect(parseTegrastatsLine(g)).toBeNull();
  });
});
