/** A DashboardView built from plain numbers, for component tests. */
import type { DashboardView, DeviceView } from '../../components/view-model.js';
import type { ImageRow } from '../../src/energy/image-rows.js';
import { summarize } from '../../src/energy/summary.js';

export const NOW = 1_700_000_000_000;

export function device(i: number, over: Partial<DeviceView> = {}): DeviceView {
  const power = Array.from({ length: 600 }, (_, k) => ({ tMs: NOW - 60_000 + k * 100, value: k % 100 < 50 ? 300 + i : 80 }));
  const vram = power.map((p) => ({ tMs: p.tMs, value: 20 * 1024 ** 3 }));
  return {
    id: `0000:${String(i).padStart(2, '0')}:00.0`,
    name: `NVIDIA H100 80GB HBM3 #${i}`,
    simulated: false,
    powerWatts: 312.5,
    powerKind: 'instant',
    hasCounter: false,
    powerScope: undefined,
    powerLimitWatts: 700,
    maxPowerWatts: 355,
    power,
    vram,
    vramUsedBytes: 20 * 1024 ** 3,
    vramTotalBytes: 80 * 1024 ** 3,
    memoryLabel: 'VRAM',
    peakVramBytes: 21 * 1024 ** 3,
    utilizationPercent: 97,
    temperatureC: 61,
    clockMhz: 1980,
    throttleReasons: [],
    stale: false,
    history: power.filter((_, k) => k % 10 === 0),
    historyBucketMs: 1000,
    ...over,
  };
}

export function row(i: number, over: Partial<ImageRow> = {}): ImageRow {
  return {
    index: i,
    path: `/out/run/0000${i}-12345-a-very-long-prompt-slug.png`,
    tMs: NOW - 30_000 + i * 1600,
    seconds: 1.6,
    joules: 520 + i,
    netJoules: 400 + i,
    watts: 325,
    peakVramBytes: 21 * 1024 ** 3,
    batch: i,
    batchSize: 1,
    warmup: i === 0,
    method: 'instant',
    coverage: 1,
    flagged: false,
    windowStartMs: NOW - 31_600 + i * 1600,
    windowEndMs: NOW - 30_000 + i * 1600,
    ...over,
  };
}

export function view(over: Partial<DashboardView> & { deviceCount?: number; rowCount?: number } = {}): DashboardView {
  const { deviceCount = 1, rowCount = 12, ...rest } = over;
  const rows = Array.from({ length: rowCount }, (_, i) => row(i));
  const idle = { startMs: NOW - 40_000, endMs: NOW - 35_000, devices: [], totalWatts: 70 };
  const summary = summarize(rows, idle, 30);
  return {
    width: 80,
    height: 24,
    ascii: false,
    color: true,
    header: {
      host: 'edge-01',
      version: '0.1.0',
      probes: 'nvidia-smi -lms 100 (power.draw.instant)',
      recordFile: '/data/genwatt-sessions/x.json',
      recording: true,
      banner: null,
      hostCpuPercent: 12,
      hostRamUsedBytes: 8 * 1024 ** 3,
    },
    run: { mode: 'run', label: 'sd-cli -m sdxl.safetensors', state: 'running', imagesDone: rowCount, target: 20, elapsedSeconds: 83, progress: null },
    devices: Array.from({ length: deviceCount }, (_, i) => device(i)),
    focused: 0,
    windowFromMs: NOW - 80_000,
    windowToMs: NOW,
    holdMs: 500,
    runStartMs: NOW - 35_000,
    nowMs: NOW,
    summary,
    idleWatts: 70,
    rows,
    energyMethod: summary.method,
    overlay: 'none',
    launcher: {
      presets: [{ name: 'demo', detail: 'node demo.mjs', count: 10 }],
      selected: 0,
      count: 10,
      source: '/x/genwatt.config.json',
      error: null,
      disabled: [],
    },
    replay: null,
    status: null,
    ...rest,
  };
}
