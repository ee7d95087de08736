/** `genwatt probe`: detected devices and one reading each, as text or JSON. */
import type { Detection, DeviceInfo, Probe, ProbeName, Reading } from '../../probes/types.js';
import { AUTO_PROBES, claimDevices, createProbe, type ProbeFactoryOptions } from '../../probes/registry.js';
import type { ProbeReport } from '../session/types.js';
import { intervalPolicy } from '../measure/interval-policy.js';
import { jsonGuard } from '../text/output-guard.js';

export interface ProbeDeviceJson {
  id: string;
  vendor: string;
  name: string;
  busId?: string;
  uuid?: string;
  vramTotalBytes?: number;
  powerLimitWatts?: number;
  powerScope?: string;
  simulated?: boolean;
  reading: {
    powerWatts: number | null;
    powerKind: string | null;
    energyJoules: number | null;
    vramUsedBytes: number | null;
    utilizationPercent: number | null;
    temperatureC: number | null;
    clockMhz: number | null;
    /** PCI runtime power state of a GPU left asleep (read through sysfs only). */
    pmState?: string;
  } | null;
  /** PCI runtime power state when genwatt found it. */
  pmAtStart?: string;
}

export interface ProbeJson {
  devices: ProbeDeviceJson[];
  probes: ProbeReport[];
  host?: { name: string; reading: { cpuPercent: number | null; ramUsedBytes: number | null } | null };
}

/**
 * One reading per device: what a streaming probe delivers until a main reading (power, VRAM or
 * utilization) came for each — partial readings (nvidia-smi's dmon PCIe rates) merged in, the
 * first value of each field kept — or one poll.
 */
async function readOnce(p: Probe, devices: DeviceInfo[], timeoutMs: number): Promise<Map<string, Reading>> {
  const got = new Map<string, Reading>();
  if (p.poll) {
    for (let attempt = 0; attempt < 2 && got.size === 0; attempt++) {
      for (const r of await p.poll()) got.set(r.deviceId, r);
      if (got.size === 0) await new Promise((r) => setTimeout(r, 1100)); // host: load needs two looks
    }
    return got;
  }
  if (!p.start) return got;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    p.start!(
      {
        reading: (r) => {
          got.set(r.deviceId, { ...r, ...got.get(r.deviceId) });
          const main = (x: Reading | undefined) =>
            x !== undefined && (x.powerWatts !== undefined || x.vramUsedBytes !== undefined || x.utilizationPercent !== undefined);
          if (devices.every((d) => main(got.get(d.id)))) {
            clearTimeout(timer);
            resolve();
          }
        },
        gap: () => undefined,
      },
      intervalPolicy(100),
    );
  });
  return got;
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export async function probeDevices(names: ProbeName[] | undefined, timeoutMs = 3000, factory: ProbeFactoryOptions = {}): Promise<ProbeJson> {
  const list = names ?? [...AUTO_PROBES];
  const probes = await Promise.all(list.map((n) => createProbe(n, factory)));
  const out: ProbeJson = { devices: [], probes: [] };
  const detected = await Promise.all(
    probes.map((p) => p.detect().catch((err: Error): Detection => ({ status: 'error', devices: [] as DeviceInfo[], reason: err.message }))),
  );
  const claimed = claimDevices(
    list,
    probes.map((p, i) => ({ name: p.name, detection: detected[i] })),
  );
  await Promise.all(
    probes.map(async (p, i) => {
      const det = claimed[i].detection;
      const rep: ProbeReport = { name: p.name, status: det.status };
      if (det.reason) rep.reason = det.reason;
      if (det.method) rep.method = det.method;
      out.probes.push(rep);
      if (det.status !== 'ok' || det.devices.length === 0) return p.close();
      const readings = await readOnce(p, det.devices, timeoutMs).finally(() => p.close());
      for (const d of det.devices) {
        const r = readings.get(d.id);
        if (d.host) {
          out.host = { name: d.name, reading: r ? { cpuPercent: orNull(r.cpuPercent), ramUsedBytes: orNull(r.ramUsedBytes) } : null };
          continue;
        }
        const j: ProbeDeviceJson = { id: d.id, vendor: d.vendor, name: d.name, reading: null };
        if (d.busId) j.busId = d.busId;
        if (d.uuid) j.uuid = d.uuid;
        if (d.vramTotalBytes !== undefined) j.vramTotalBytes = d.vramTotalBytes;
        if (d.powerLimitWatts !== undefined) j.powerLimitWatts = d.powerLimitWatts;
        if (d.powerScope) j.powerScope = d.powerScope;
        if (d.simulated) j.simulated = true;
        if (d.pmAtStart) j.pmAtStart = d.pmAtStart;
        if (r)
          j.reading = {
            powerWatts: orNull(r.powerWatts),
            powerKind: orNull(r.powerKind),
            energyJoules: orNull(r.energyJoules),
            vramUsedBytes: orNull(r.vramUsedBytes),
            utilizationPercent: orNull(r.utilizationPercent),
            temperatureC: orNull(r.temperatureC),
            clockMhz: orNull(r.clockMhz),
          };
        if (r?.pmState && j.reading) j.reading.pmState = r.pmState;
        out.devices.push(j);
      }
    }),
  );
  out.probes.sort((a, b) => list.indexOf(a.name as ProbeName) - list.indexOf(b.name as ProbeName));
  return out;
}

/** `genwatt probe [--json]`: a line per probe and per device, or the JSON scripts rely on. */
export async function probeCommand(names: ProbeName[] | undefined, json: boolean, factory: ProbeFactoryOptions = {}): Promise<void> {
  const res = await probeDevices(names, 3000, factory);
  if (json) {
    process.stdout.write(jsonGuard(JSON.stringify(res, null, 2)) + '\n');
    return;
  }
  const { asleepLine, fmtBytes, fmtNum, fmtWatts, NA } = await import('../text/format.js');
  for (const p of res.probes)
    process.stdout.write(`probe ${p.name.padEnd(11)} ${p.status}${p.method ? `  ${p.method}` : ''}${p.reason ? `  (${p.reason})` : ''}\n`);
  for (const d of res.devices) {
    const r = d.reading;
    const util = r?.utilizationPercent != null ? `${fmtNum(r.utilizationPercent, 0)}%` : NA;
    const temp = r?.temperatureC != null ? `${fmtNum(r.temperatureC, 0)} °C` : `${NA} °C`;
    if (r?.pmState !== undefined && r.powerWatts == null) {
      process.stdout.write(`${d.id}  ${d.name}  ${asleepLine(r.pmState)}\n`);
      continue;
    }
    process.stdout.write(
      `${d.id}  ${d.name}  power ${r?.powerWatts != null ? `${fmtWatts(r.powerWatts)} ${r.powerKind}` : NA}  VRAM ${fmtBytes(r?.vramUsedBytes)}/${fmtBytes(d.vramTotalBytes)}  util ${util}  ${temp}  limit ${fmtWatts(d.powerLimitWatts)}\n`,
    );
  }
  if (res.host)
    process.stdout.write(`host  ${res.host.name}  CPU ${fmtNum(res.host.reading?.cpuPercent, 1)}%  RAM ${fmtBytes(res.host.reading?.ramUsedBytes)}\n`);
  if (res.devices.length === 0) process.stdout.write('No GPU found. Try `genwatt demo` for the built-in demo on a simulated GPU.\n');
}
