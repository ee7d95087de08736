#!/usr/bin/env node
// Is NVML's energy counter cheaper read as a field (83 NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION, 191
// NVML_FI_DEV_ENERGY) than through nvmlDeviceGetTotalEnergyConsumption (3.8 ms of kernel CPU a read on
// the H100, 2026-12-07), and how fresh is the field's value? On the GPU machine, after the build:
//   node bench/gpu/energy-field.mjs OUTDIR [seconds]   (run a load beside it for the freshness part)
// Writes OUTDIR/energy-field.json (CPU per call, how often each value changes, field vs call) and
// OUTDIR/energy-field.csv (every read: the raw capture).
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { loadNvml } from '../../dist/probes/nvidia/nvml-binding.js';

const LOAD = `
import sys, time, torch
a = torch.randn(8192, 8192, device='cuda', dtype=torch.half)
(a @ a).sum().item()
print('ready', flush=True)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    t = time.time()
    while time.time() - t < 0.3:
        (a @ a).sum().item()
    time.sleep(0.3)
`;

const out = process.argv[2] ?? '.';
const seconds = Number(process.argv[3] ?? 4);
const n = await loadNvml();
if (n.init() !== 0) throw new Error('nvmlInit failed');
const h = n.handle(0).value;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function cost(f, calls) {
  f();
  const c0 = process.cpuUsage();
  const t0 = nowUs();
  for (let i = 0; i < calls; i++) f();
  const c = process.cpuUsage(c0);
  return { cpuUsPerCall: +((c.user + c.system) / calls).toFixed(1), wallUsPerCall: +((nowUs() - t0) / calls).toFixed(1) };
}
const variants = {
  totalEnergyMj: () => n.totalEnergyMj(h),
  fields_186: () => n.fieldValues(h, [186]),
  fields_83: () => n.fieldValues(h, [83]),
  fields_191: () => n.fieldValues(h, [191]),
  fields_186_83: () => n.fieldValues(h, [186, 83]),
  fields_186_198_197: () => n.fieldValues(h, [186, 198, 197]),
  fields_186_198_197_83: () => n.fieldValues(h, [186, 198, 197, 83]),
};
const res = { driver: n.driverVersion().value, name: n.name(h).value, answers: {}, costIdle: {}, costLoaded: {} };
for (const id of [83, 191, 186]) {
  const a = n.fieldValues(h, [id]);
  res.answers[id] = a.ret === 0 ? a.value[0] : { ret: a.ret };
}
for (const [k, f] of Object.entries(variants)) res.costIdle[k] = cost(f, k === 'totalEnergyMj' ? 100 : 300);
console.log(JSON.stringify(res.answers), JSON.stringify(res.costIdle));

// Freshness: every ~2 ms the fields (instant power, both energy fields), every 100 ms the call, while
// a torch matmul load switches the GPU between 300 ms busy and 300 ms idle (power steps both ways).
const load = spawn('python3', ['-c', LOAD, String(seconds + 4)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  load.stdout.on('data', (b) => String(b).includes('ready') && resolve());
  load.on('exit', (code) => reject(new Error(`load exited ${code}`)));
});
const rows = ['tUs,kind,fieldId,ret,timestampUs,value,latencyUs'];
const t0 = nowUs();
let nextCallUs = t0;
const ends = t0 + seconds * 1e6;
while (nowUs() < ends) {
  const a = nowUs();
  const fv = n.fieldValues(h, [186, 83, 191]);
  const b = nowUs();
  if (fv.ret === 0) for (const v of fv.value) rows.push(`${(a + b) / 2 - t0},field,${v.fieldId},${v.ret},${v.timestampUs},${v.value},${b - a}`);
  if (b >= nextCallUs) {
    nextCallUs += 100_000;
    const c = nowUs();
    const e = n.totalEnergyMj(h);
    const d = nowUs();
    rows.push(`${(c + d) / 2 - t0},call,0,${e.ret},0,${e.value ?? ''},${d - c}`);
  }
  const until = nowUs() + 2000;
  while (nowUs() < until);
}
for (const [k, f] of Object.entries(variants)) res.costLoaded[k] = cost(f, k === 'totalEnergyMj' ? 50 : 200);
load.kill();
writeFileSync(`${out}/energy-field.csv`, rows.join('\n') + '\n');

// How often each series changes, and the field against the call at the same moment.
const parsed = rows
  .slice(1)
  .map((l) => l.split(','))
  .map(([t, kind, id, ret, ts, v]) => ({ t: +t, kind, id: +id, ret: +ret, ts: +ts, v: +v }));
const series = (kind, id) => parsed.filter((r) => r.kind === kind && r.id === id && r.ret === 0);
const changes = (s) => {
  const at = [];
  for (let i = 1; i < s.length; i++) if (s[i].v !== s[i - 1].v) at.push(s[i].t);
  const gaps = at
    .slice(1)
    .map((t, i) => (t - at[i]) / 1000)
    .sort((x, y) => x - y);
  return {
    reads: s.length,
    changes: at.length,
    medianMsBetween: gaps.length ? +gaps[gaps.length >> 1].toFixed(2) : null,
    minMs: gaps.length ? +gaps[0].toFixed(2) : null,
  };
};
res.freshness = {};
for (const [k, s] of [
  ['field186', series('field', 186)],
  ['field83', series('field', 83)],
  ['field191', series('field', 191)],
  ['call', series('call', 0)],
])
  res.freshness[k] = changes(s);
// Field 83 just after each call, minus the call's value (mJ): the same counter, or a cached copy?
const f83 = series('field', 83);
const diffs = series('call', 0).map((c) => {
  const next = f83.find((r) => r.t > c.t);
  const prev = [...f83].reverse().find((r) => r.t < c.t);
  return { afterMj: next ? next.v - c.v : null, beforeMj: prev ? prev.v - c.v : null };
});
res.fieldMinusCall = diffs;
const s83 = series('field', 83);
const sc = series('call', 0);
if (s83.length > 1 && sc.length > 1)
  res.energyOverRunJ = {
    field83: (s83.at(-1).v - s83[0].v) / 1000,
    call: (sc.at(-1).v - sc[0].v) / 1000,
    field83Span: (s83.at(-1).t - s83[0].t) / 1e6,
    callSpan: (sc.at(-1).t - sc[0].t) / 1e6,
  };
n.shutdown();
writeFileSync(`${out}/energy-field.json`, JSON.stringify(res, null, 1));
console.log(JSON.stringify({ costLoaded: res.costLoaded, freshness: res.freshness, energyOverRunJ: res.energyOverRunJ }));
