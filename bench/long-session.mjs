// Writes a long genwatt session journal (.jsonl) from the simulated GPU model, for replay benchmarks:
// idle, model load, then images every `cycle` ms (compute then save) at the given sample rate.
// SYNTHETIC: the simulated GPU's model (probes/simulated), not a hardware recording.
import { createWriteStream } from 'node:fs';
import { simulate } from '../dist/probes/simulated/simulated-gpu.js';

/** `gpus` simulated GPUs draw the same model (one generator per GPU, images taken from the first). */
export async function writeLongSession(file, { seconds = 3600, intervalMs = 100, cycleMs = 1600, gpus = 1 } = {}) {
  const out = createWriteStream(file);
  const w = (rec) => out.write(JSON.stringify(rec) + '\n');
  const t0 = Date.UTC(2026, 10, 25, 12, 0, 0);
  const idleMs = 5000;
  const loadMs = 1200;
  w({
    type: 'header',
    schema: 'genwatt-session',
    schemaVersion: 1,
    genwatt: '0.1.0',
    startedAt: new Date(t0).toISOString(),
    host: { hostname: 'bench', platform: 'linux', release: '', arch: 'x64', cpuModel: '', cpuCount: 2, ramTotalBytes: 0, node: process.version },
    devices: Array.from({ length: gpus }, (_, i) => ({
      id: `sim-${i}`,
      vendor: 'simulated',
      name: 'Simulated GPU (genwatt demo, not real hardware)',
      probe: 'simulated',
      index: i,
      vramTotalBytes: 24 * 1024 ** 3,
      powerLimitWatts: 250,
      powerScope: 'simulated',
      simulated: true,
    })),
    probes: [{ name: 'simulated', status: 'ok', method: 'simulated (instant power)' }],
    options: { intervalMs, idleSeconds: idleMs / 1000, warmupBatches: 1, gapLimitMs: Math.max(5 * intervalMs, 500), batchGapMs: null, count: null },
    run: {
      mode: 'demo',
      argv: ['bench-long-session'],
      cwd: '/',
      outDir: '/out',
      tags: { synthetic: 'simulated model' },
      startMs: null,
      endMs: null,
      exit: null,
      endReason: null,
    },
  });
  const runStart = t0 + idleMs;
  const end = t0 + seconds * 1000;
  let act = { phase: 'idle', sinceMs: t0, loaded: false };
  let watts = 30;
  let nextImage = runStart + loadMs + cycleMs;
  let images = 0;
  let idleDone = false;
  for (let t = t0; t < end; t += intervalMs) {
    // phase at time t
    let phase = 'idle';
    if (t >= runStart && t < runStart + loadMs) phase = 'load';
    else if (t >= runStart + loadMs) phase = (t - runStart - loadMs) % cycleMs < cycleMs - 150 ? 'compute' : 'save';
    if (phase !== act.phase) act = { phase, sinceMs: t, loaded: t >= runStart + loadMs };
    const r = simulate(act, watts, t);
    watts = r.powerWatts;
    for (let g = 0; g < gpus; g++) w({ type: 'sample', deviceId: `sim-${g}`, tMs: t, powerKind: 'instant', ...r });
    if (!idleDone && t >= runStart) {
      idleDone = true;
      w({
        type: 'idle',
        startMs: t0,
        endMs: runStart,
        devices: Array.from({ length: gpus }, (_, g) => ({ deviceId: `sim-${g}`, watts: 30, method: 'instant', coverage: 1, flagged: false })),
        totalWatts: 30 * gpus,
      });
      w({ type: 'run-start', startMs: runStart });
    }
    if (t >= nextImage) {
      const path = `/out/${String(images).padStart(5, '0')}.png`;
      w({ type: 'image', path, mtimeMs: nextImage, bytes: 1000 });
      w({ type: 'batch', batch: images, paths: [path] });
      images++;
      nextImage += cycleMs;
    }
    if (out.writableNeedDrain) await new Promise((r) => out.once('drain', r));
  }
  w({ type: 'end', endMs: end, endedAt: new Date(end).toISOString(), exit: { code: 0, signal: null, reason: 'exited' }, endReason: 'child-exit' });
  await new Promise((r) => out.end(r));
  return { images };
}
