#!/usr/bin/env node
// Compares genwatt's per-image joules with the truth the generator logged (the NVML energy counter
// read right after each PNG was complete), for every `<probe>_<scenario>.json` in DIR.
//   node bench/gpu/analyze-truth.mjs DIR        (DIR: the unpacked truth.tar.gz)
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readSession, recompute } from '../../dist/src/session/reader.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: analyze-truth.mjs DIR');
  process.exit(2);
}
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
};

const out = [];
for (const f of readdirSync(dir)
  .filter((x) => /^[a-z-]+_[a-z0-9-]+\.json$/.test(x) && !x.endsWith('_meta.json'))
  .sort()) {
  const name = f.replace(/\.json$/, '');
  const [probe, scenario] = [name.slice(0, name.indexOf('_')), name.slice(name.indexOf('_') + 1)];
  const { doc } = await readSession(join(dir, f));
  const gen = readFileSync(join(dir, `${name}_generator.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const saved = gen.filter((g) => g.kind === 'image_saved');
  const batchStarts = gen.filter((g) => g.kind === 'batch_start');
  // Truth per image: the counter from the previous batch's last save to this batch's last save, shared by the batch.
  const truth = new Map();
  let prevEnd = null;
  for (const b of batchStarts) {
    const imgs = saved.filter((s) => s.index >= b.first_index && s.index < b.first_index + b.batch);
    const end = imgs.at(-1);
    if (prevEnd !== null) for (const s of imgs) truth.set(s.path, (end.energy_mj - prevEnd.energy_mj) / 1000 / imgs.length);
    prevEnd = end;
  }
  const steady = doc.rows.filter((r) => !r.warmup && truth.has(basename(r.path)) && r.joules !== null);
  const gw = steady.map((r) => r.joules);
  const tr = steady.map((r) => truth.get(basename(r.path)));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanErr = mean(gw) / mean(tr) - 1;
  const perImage = steady.map((r, i) => Math.abs(gw[i] / tr[i] - 1));
  // The same recording with the counter removed: what integrating instant power gives per image.
  const noCounter = recompute({ ...doc, samples: doc.samples.map(({ energyJoules, ...s }) => s) });
  const instRows = new Map(noCounter.rows.map((r) => [basename(r.path), r.joules]));
  const perImageInstant = steady.map((r, i) => Math.abs(instRows.get(basename(r.path)) / tr[i] - 1));
  const instMeanErr = mean(steady.map((r) => instRows.get(basename(r.path)))) / mean(tr) - 1;
  // The same recording with the counter thinned to one read a second (what the probe costs 10x less CPU for).
  let last = -Infinity;
  const thin = recompute({
    ...doc,
    samples: doc.samples.map((x) => {
      if (x.energyJoules === undefined) return x;
      if (x.tMs - last >= 950) {
        last = x.tMs;
        return x;
      }
      const { energyJoules, ...rest } = x;
      return rest;
    }),
  });
  const thinRows = new Map(thin.rows.map((r) => [basename(r.path), r]));
  const thinMeanErr = mean(steady.map((r) => thinRows.get(basename(r.path)).joules)) / mean(tr) - 1;
  const thinP95 = quantile(
    steady.map((r, i) => Math.abs(thinRows.get(basename(r.path)).joules / tr[i] - 1)),
    0.95,
  );
  const thinMethods = [...new Set(steady.map((r) => thinRows.get(basename(r.path)).method))].join('+');
  // Fidelity: distinct counter and power values genwatt recorded vs those in the generator's 50 ms NVML trace, over the same span.
  const trace = readFileSync(join(dir, `${name}_trace.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const samples = doc.samples.filter((s) => !s.deviceId.startsWith('host'));
  const from = Math.max(samples[0].tMs, Number(trace[0][0]));
  const to = Math.min(samples.at(-1).tMs, Number(trace.at(-1)[0]));
  const inSpan = (t) => t >= from && t <= to;
  const tEnergy = new Set(trace.filter((r) => inSpan(Number(r[0]))).map((r) => r[3]));
  const tPower = new Set(trace.filter((r) => inSpan(Number(r[0]))).map((r) => r[2]));
  const gEnergy = new Set(samples.filter((s) => inSpan(s.tMs) && s.energyJoules !== undefined).map((s) => Math.round(s.energyJoules * 1000)));
  // nvidia-smi prints power to 10 mW: compare both at that resolution.
  const gPower = new Set(
    samples.filter((s) => inSpan(s.tMs) && s.powerWatts !== undefined && s.powerKind === 'instant').map((s) => Math.round(s.powerWatts * 100)),
  );
  const tEnergyN = new Set([...tEnergy].map(Number));
  const tPowerN = new Set([...tPower].filter(Boolean).map((v) => Math.round(Number(v) / 10)));
  const hit = (g, t) => [...g].filter((v) => t.has(v)).length;
  out.push({
    probe,
    scenario,
    images: doc.rows.length,
    steady: steady.length,
    secondsPerImage: doc.summary.secondsPerImage.mean,
    method: doc.summary.method,
    genwattJ: mean(gw),
    truthJ: mean(tr),
    meanErr,
    p95Err: quantile(perImage, 0.95),
    instantMeanErr: instMeanErr,
    instantP95Err: quantile(perImageInstant, 0.95),
    thinMeanErr,
    thinP95,
    thinMethods,
    energyFidelity: tEnergyN.size && gEnergy.size ? hit(gEnergy, tEnergyN) / tEnergyN.size : null,
    powerFidelity: tPowerN.size ? hit(gPower, tPowerN) / tPowerN.size : null,
  });
}
console.log(
  'probe       scenario   img  s/img   method    genwatt J  truth J   mean err   p95 |err|  counter fid.  power fid.  | instant power only: mean err, p95 |err|',
);
for (const r of out) {
  console.log(
    `${r.probe.padEnd(11)} ${r.scenario.padEnd(9)} ${String(r.steady).padStart(3)}  ${r.secondsPerImage.toFixed(3)}  ${String(r.method).padEnd(8)}  ${r.genwattJ.toFixed(1).padStart(8)}  ${r.truthJ.toFixed(1).padStart(8)}  ${pct(r.meanErr).padStart(9)}  ${(r.p95Err * 100).toFixed(2).padStart(7)} %  ${r.energyFidelity === null ? '   n/a' : r.energyFidelity.toFixed(3).padStart(6)}        ${r.powerFidelity === null ? 'n/a' : r.powerFidelity.toFixed(3)}        | ${pct(r.instantMeanErr).padStart(9)}  ${(r.instantP95Err * 100).toFixed(2).padStart(6)} %  | 1 Hz counter: ${pct(r.thinMeanErr).padStart(9)} ${(r.thinP95 * 100).toFixed(2).padStart(6)} % ${r.thinMethods}`,
  );
}
if (process.argv.includes('--json')) console.log(JSON.stringify(out, null, 2));
