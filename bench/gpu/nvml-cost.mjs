#!/usr/bin/env node
// CPU time per NVML call through genwatt's koffi binding, on the GPU machine: which calls make a
// 10 Hz NVML probe cost what it costs. `node bench/gpu/nvml-cost.mjs [calls]`
import { loadNvml } from '../../dist/probes/nvidia/nvml-binding.js';

const N = Number(process.argv[2] ?? 300);
const n = await loadNvml();
if (n.init() !== 0) throw new Error('nvmlInit failed');
const h = n.handle(0).value;
const calls = {
  totalEnergyMj: () => n.totalEnergyMj(h),
  fieldValues_instant: () => n.fieldValues(h, [186]),
  fieldValues_instant_pcie: () => n.fieldValues(h, [186, 198, 197]),
  pcieThroughputKBs_rx: () => n.pcieThroughputKBs(h, 1),
  computeProcesses: () => n.computeProcesses(h),
  graphicsProcesses: () => n.graphicsProcesses(h),
  powerUsageMw: () => n.powerUsageMw(h),
  memory_v2: () => n.memory(h),
  utilization: () => n.utilization(h),
  temperatureC: () => n.temperatureC(h),
  smClockMhz: () => n.smClockMhz(h),
  clockEventReasons: () => n.clockEventReasons(h),
};
const out = {};
for (const [name, f] of Object.entries(calls)) {
  f();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f();
  const c = process.cpuUsage(c0);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / N;
  out[name] = {
    cpuUsPerCall: +((c.user + c.system) / N).toFixed(1),
    userUs: +(c.user / N).toFixed(1),
    systemUs: +(c.system / N).toFixed(1),
    wallUsPerCall: +wallUs.toFixed(1),
    ret: f().ret,
  };
}
n.shutdown();
console.log(JSON.stringify(out, null, 1));
