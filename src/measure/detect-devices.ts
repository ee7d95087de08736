/** Device detection shared by measured sessions and `serve`: which probes run, and what they found. */
import { AUTO_PROBES, claimDevices, createProbe } from '../../probes/registry.js';
import type { Detection, DeviceInfo, Probe, ProbeName } from '../../probes/types.js';
import { isGpu } from '../../probes/types.js';
import type { ProbeReport } from '../session/types.js';
import type { MeterSpec } from '../../probes/meter/meter-spec.js';

export interface DetectOptions {
  /** Forced probes, or undefined to auto-detect. */
  probes?: ProbeName[];
  /** Use the simulated GPU when no real GPU is found (the demo). */
  simulateIfNoGpu?: boolean;
  /** Simulated GPUs to show (default 1). */
  simGpus?: number;
  /** The simulated GPUs list no processes. */
  simNoProcessList?: boolean;
  /** Wake NVIDIA GPUs in runtime suspend to measure them (a run), or leave them asleep (monitor). */
  wakeSleeping?: boolean;
  /** External power meters: each its own probe and device, beside the GPUs. */
  meters?: MeterSpec[];
}

export interface Detected {
  probes: Probe[];
  devices: DeviceInfo[];
  reports: ProbeReport[];
}

export class NoGpuError extends Error {
  readonly noGpu = true;
  constructor(readonly probes: ProbeReport[]) {
    super(
      `no GPU found (${probes.map((p) => `${p.name}: ${p.reason ?? p.status}`).join('; ')}). Try \`genwatt demo\` for the built-in demo, or --probe simulated.`,
    );
  }
}

/** Runs every probe's detection; keeps those with devices. Throws {@link NoGpuError} when no GPU is found. */
export async function detectDevices(opts: DetectOptions): Promise<Detected> {
  const names = opts.probes ?? [...AUTO_PROBES];
  const factory = { simGpus: opts.simGpus, simNoProcessList: opts.simNoProcessList, wakeSleeping: opts.wakeSleeping };
  const all = await Promise.all(names.map((n) => createProbe(n, factory)));
  const detected = await Promise.all(all.map((p) => p.detect().catch((err: Error): Detection => ({ status: 'error', devices: [], reason: err.message }))));
  const results = claimDevices(
    names,
    all.map((p, i) => ({ name: p.name, detection: detected[i] })),
  ).map((c) => c.detection);
  const out: Detected = { probes: [], devices: [], reports: [] };
  all.forEach((p, i) => {
    const r = results[i];
    const rep: ProbeReport = { name: p.name, status: r.status };
    if (r.reason) rep.reason = r.reason;
    if ('method' in r && r.method) rep.method = r.method;
    out.reports.push(rep);
    if (r.status === 'ok' && r.devices.length > 0) {
      out.probes.push(p);
      out.devices.push(...r.devices);
    } else p.close().catch(() => undefined); // a probe that found nothing: how its close went does not matter
  });
  if (opts.meters?.length) {
    const { MeterProbe } = await import('../../probes/meter/meter-probe.js');
    for (const spec of opts.meters) {
      const p = new MeterProbe(spec);
      const r = await p.detect();
      const rep: ProbeReport = { name: 'meter', status: r.status, method: r.method };
      if (r.reason) rep.reason = r.reason;
      out.reports.push(rep);
      out.probes.push(p);
      out.devices.push(...r.devices);
    }
  }
  if (!out.devices.some(isGpu) && opts.simulateIfNoGpu && !names.includes('simulated')) {
    const sim = await createProbe('simulated', factory);
    const r = await sim.detect();
    out.reports.push({ name: 'simulated', status: 'ok', method: r.method, reason: 'no GPU found: using the simulated GPU' });
    out.probes.push(sim);
    out.devices.push(...r.devices);
  }
  if (!out.devices.some(isGpu)) {
    await Promise.all(out.probes.map((p) => p.close().catch(() => undefined)));
    throw new NoGpuError(out.reports);
  }
  return out;
}
