/**
 * NVIDIA through NVML (`--probe nvml`): one NVML session for the process, read on a timer. Instant
 * power (field 186), memory and (where images are measured) the PCIe byte counters every interval;
 * utilization, temperature, clock and clock event reasons once a second; the energy counter on its
 * own period (a read alone costs 4-5 ms of CPU on an H100, more under load: a run reads it every 2 s).
 */
import type { Detection, DeviceInfo, GpuProcess, Probe, ReadingSink, SampleTiming } from '../types.js';
import { NVML, type NvmlBinding } from './nvml-binding.js';
import { CounterGuard, unsupported } from './nvml-map.js';
import { timelineNow } from '../timeline.js';
import { pcieCounters } from './pcie-counter.js';
import { readDevice, type Dev } from './nvml-read.js';
import { nvmlArchitectureName, powerDrawAverageMs } from './power-average.js';
import { asleepText, genwattBusId, isAsleep, nvidiaPciDevices, pmText, readPciPm, sysfsBdf, sysfsRoot, type PciPm } from './pci-pm.js';

export interface NvmlProbeOptions {
  /** The binding (tests pass a fake; default loads libnvidia-ml through koffi). */
  load?: () => Promise<NvmlBinding>;
  now?: () => number;
  /** Slow metrics period, ms. */
  slowMs?: number;
  /**
   * Energy counter period, ms (default 1000; a measured run sets its sampling interval through
   * setCounterInterval). Reading it costs ~4 ms of kernel CPU on an H100 (bench/gpu/nvml-cost.mjs),
   * 100× any other call: between sparse reads, instant power scaled to the counter gives each
   * image its energy (energy.ts counterScale).
   */
  counterMs?: number;
  /**
   * Open NVML even when every NVIDIA GPU is in runtime suspend (a measured run: it must read power,
   * and says that it woke the GPU). Default false: monitor, probe and the dashboard read such GPUs
   * through sysfs only and open NVML once one wakes.
   */
  wakeSleeping?: boolean;
  /** The sysfs root for PCI power states (default `$GENWATT_SYSFS` or /sys). */
  sysfsRoot?: string;
}

/** Device id as nvidia-smi prints the bus id (8-digit domain), so both probes name a GPU alike. */
export function normalizeBusId(busId: string): string {
  const m = /^([0-9a-fA-F]+):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(busId.trim());
  if (!m) return busId.trim();
  return `${m[1].padStart(8, '0').slice(-8)}:${m[2]}:${m[3]}.${m[4]}`.toUpperCase();
}

export class NvmlProbe implements Probe {
  readonly name = 'nvml' as const;
  private nvml: NvmlBinding | undefined;
  private devs: Dev[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sink: ReadingSink | undefined;
  private readonly now: () => number;
  private initialized = false;

  constructor(private readonly opts: NvmlProbeOptions = {}) {
    this.now = opts.now ?? timelineNow;
  }

  private msg(ret: number): string {
    try {
      return `${this.nvml!.errorString(ret)} (${ret})`;
    } catch {
      return `NVML error ${ret}`;
    }
  }

  setCounterInterval(ms: number): void {
    this.opts.counterMs = ms;
  }

  /** Devices whose counter is read (a run's charged GPUs); null: all. */
  private counterIds: Set<string> | null = null;

  setCounterDevices(ids: readonly string[] | null): void {
    this.counterIds = ids ? new Set(ids) : null;
  }

  private counterWanted(d: Dev): boolean {
    return !d.skip.has('energyMj') && (this.counterIds === null || this.counterIds.has(d.info.id));
  }

  /** GPUs found asleep through sysfs while NVML stays closed (see wakeSleeping). */
  private sleeping: { bdf: string; info: DeviceInfo }[] = [];
  private opening: Promise<void> | undefined;
  private woken: string[] = [];

  private get root(): string {
    return this.opts.sysfsRoot ?? sysfsRoot();
  }

  async detect(): Promise<Detection> {
    // Before anything touches a GPU: sysfs says whether it sleeps (opening NVML would wake it).
    const pci = nvidiaPciDevices(this.root).map((bdf) => ({ bdf, pm: readPciPm(bdf, this.root) }));
    const asleep = pci.filter((x) => isAsleep(x.pm));
    if (pci.length > 0 && asleep.length === pci.length && !this.opts.wakeSleeping) {
      this.sleeping = pci.map(({ bdf, pm }) => ({
        bdf,
        info: {
          id: genwattBusId(bdf),
          vendor: 'nvidia',
          name: 'NVIDIA GPU',
          probe: 'nvml',
          busId: genwattBusId(bdf),
          powerScope: 'board',
          pmAtStart: pmText(pm),
        },
      }));
      return {
        status: 'ok',
        devices: this.sleeping.map((x) => x.info),
        method: `sysfs only: ${pci.length === 1 ? 'the NVIDIA GPU is' : `all ${pci.length} NVIDIA GPUs are`} ${asleepText(asleep[0].pm)}; NVML is opened when one wakes`,
      };
    }
    const sleepers = asleep.map((x) => genwattBusId(x.bdf));
    if (this.opts.wakeSleeping) this.woken = sleepers;
    const res = await this.openNvml(new Map(pci.map((x) => [genwattBusId(x.bdf), x.pm])));
    if (sleepers.length && res.status === 'ok')
      res.method = this.opts.wakeSleeping
        ? `${res.method}; woke ${sleepers.join(', ')} from ${asleep[0].pm.powerState ?? 'runtime suspend'} to measure it`
        : `${res.method}; ${sleepers.join(', ')} ${asleepText(asleep[0].pm)} (read through sysfs until it wakes)`;
    return res;
  }

  private async openNvml(pmAtStart: ReadonlyMap<string, PciPm>): Promise<Detection> {
    try {
      this.nvml = await (this.opts.load ?? (async () => (await import('./nvml-binding.js')).loadNvml()))();
    } catch (err) {
      return { status: 'unavailable', devices: [], reason: `NVML not loadable: ${(err as Error).message}` };
    }
    const n = this.nvml;
    const init = n.init();
    if (init !== NVML.SUCCESS) return { status: 'unavailable', devices: [], reason: `nvmlInit failed: ${this.msg(init)}` };
    this.initialized = true;
    const count = n.deviceCount();
    if (count.ret !== NVML.SUCCESS) return { status: 'error', devices: [], reason: `nvmlDeviceGetCount failed: ${this.msg(count.ret)}` };
    const driver = n.driverVersion();
    const problems: string[] = [];
    for (let i = 0; i < (count.value ?? 0); i++) {
      const h = n.handle(i);
      if (h.ret !== NVML.SUCCESS) {
        problems.push(`GPU ${i}: ${this.msg(h.ret)}`);
        continue;
      }
      const handle = h.value;
      const name = n.name(handle).value ?? `NVIDIA GPU ${i}`;
      const uuid = n.uuid(handle).value;
      const bus = n.pciBusId(handle).value;
      const mem = n.memory(handle).value;
      const limit = n.enforcedPowerLimitMw(handle);
      const info: DeviceInfo = {
        id: bus ? normalizeBusId(bus) : (uuid ?? `nvidia-${i}`),
        vendor: 'nvidia',
        name,
        probe: 'nvml',
        index: i,
        powerScope: 'board',
      };
      if (bus) info.busId = normalizeBusId(bus);
      if (uuid) info.uuid = uuid;
      if (mem) info.vramTotalBytes = mem.totalBytes;
      if (limit.ret === NVML.SUCCESS && limit.value) info.powerLimitWatts = limit.value / 1000;
      if (driver.value) info.driverVersion = driver.value;
      const pm = pmAtStart.get(info.id);
      if (pm && pmText(pm)) info.pmAtStart = pmText(pm);
      const persistence = n.persistenceMode?.(handle);
      if (persistence?.ret === NVML.SUCCESS && persistence.value !== undefined) info.persistenceMode = persistence.value === 1;
      const display = n.displayActive?.(handle);
      if (display?.ret === NVML.SUCCESS && display.value !== undefined) info.displayActive = display.value === 1;
      // Used only where instant power is missing (drivers before 530): nvmlDeviceGetPowerUsage's width.
      const averageMs = powerDrawAverageMs(nvmlArchitectureName(n.architecture?.(handle).value), name);
      if (averageMs !== undefined) info.powerAverageMs = averageMs;
      this.devs.push({
        info,
        handle,
        guard: new CounterGuard(),
        pcie: pcieCounters(),
        skip: new Set(),
        lastSlowMs: -Infinity,
        lastCounterMs: -Infinity,
        noted: new Set(),
      });
    }
    if (this.devs.length === 0) return { status: problems.length ? 'error' : 'unavailable', devices: [], reason: problems.join('; ') || 'NVML sees no GPU' };
    const d0 = this.devs[0];
    const probe = readDevice(this.nvml!, d0, this.now());
    const parts = [`NVML${driver.value ? ` (driver ${driver.value})` : ''}`];
    parts.push(
      probe.reading.powerKind === 'instant'
        ? 'instant power'
        : probe.reading.powerKind === 'average'
          ? d0.info.powerAverageMs
            ? `AVERAGE power only (${d0.info.powerAverageMs / 1000} s, power recovered from it)`
            : 'AVERAGE power only'
          : 'no power',
    );
    parts.push(probe.counterJoules !== undefined ? 'energy counter' : 'no energy counter');
    const res: Detection = { status: 'ok', devices: this.devs.map((d) => d.info), method: parts.join(', ') };
    if (problems.length) res.reason = problems.join('; ');
    return res;
  }

  /** The counter of every device now, checked by each device's guard (see Probe.readCounterNow for `force`). */
  readCounterNow(force = false): void {
    const sink = this.sink;
    if (!sink || !this.nvml) return;
    for (const d of this.devs) {
      if (!this.counterWanted(d) || (!force && d.instant) || this.asleep(d)) continue;
      const tMs = this.now();
      let a;
      try {
        a = this.nvml.totalEnergyMj(d.handle);
      } catch {
        continue; // the scheduled reads report NVML failures
      }
      if (a.ret !== NVML.SUCCESS || a.value === undefined) continue;
      // This read stands for the scheduled one: the next comes a counter period later.
      d.lastCounterMs = tMs;
      const g = d.guard.feed(tMs, a.value / 1000, undefined);
      if (g.note) sink.note?.('nvml', `${d.info.id}: ${g.note}`);
      if (g.energyJoules !== undefined) sink.reading({ deviceId: d.info.id, tMs, energyJoules: g.energyJoules });
    }
  }

  start(sink: ReadingSink, timing: SampleTiming): void {
    this.sink = sink;
    if (this.woken.length)
      sink.note?.(
        'nvml',
        `${this.woken.join(', ')} was asleep (runtime suspend) when genwatt started; opening NVML woke it, so an idle baseline includes what keeping it awake costs`,
      );
    const intervalMs = timing.intervalMs;
    const slowMs = this.opts.slowMs ?? 1000;
    const counterMs = () => this.opts.counterMs ?? 1000;
    const tick = () => {
      if (this.sleeping.length) return this.sleepingTick(sink);
      for (const d of this.devs) {
        const now = this.now();
        const pm = this.asleep(d);
        if (pm) {
          // Never wake a GPU that went to sleep while genwatt watched: sysfs until it is active again.
          sink.reading({ deviceId: d.info.id, tMs: now, pmState: pmText(pm) });
          continue;
        }
        // Half an interval of slack, so a 1 s period does not slip to 1.1 s on a 100 ms timer.
        const slow = now - d.lastSlowMs >= slowMs - intervalMs / 2;
        if (slow) d.lastSlowMs = now;
        const counter = this.counterWanted(d) && now - d.lastCounterMs >= counterMs() - intervalMs / 2;
        if (counter) d.lastCounterMs = now;
        // PCIe bytes only where images are measured (a run's or serve's GPUs; not while monitoring).
        const pcie = (this.counterIds === null || this.counterIds.has(d.info.id)) && Number.isFinite(counterMs());
        let mapped;
        try {
          mapped = readDevice(this.nvml!, d, this.now(), slow, counter, pcie);
        } catch (err) {
          sink.gap({ deviceId: d.info.id, probe: 'nvml', tMs: now, reason: `NVML call failed: ${(err as Error).message}` });
          continue;
        }
        if (d.pcieUnsure && !d.noted.has('pcieUnsure')) {
          d.noted.add('pcieUnsure');
          sink.note?.(
            'nvml',
            `${d.info.id}: its PCIe byte counters (32-bit, they wrap every 4 GiB) were once read over 1 s apart: bytes moved then are counted as the least they can be`,
          );
        }
        for (const pr of mapped.problems) {
          const key = `${pr.metric}:${pr.ret}`;
          if (d.noted.has(key)) continue;
          d.noted.add(key);
          sink.note?.('nvml', `${d.info.id} ${pr.metric}: ${this.msg(pr.ret)}`);
          if (pr.ret === NVML.ERROR_GPU_IS_LOST) sink.gap({ deviceId: d.info.id, probe: 'nvml', tMs: now, reason: 'GPU is lost (NVML)' });
        }
        const g = d.guard.feed(mapped.reading.tMs, mapped.counterJoules, mapped.reading.powerKind === 'instant' ? mapped.reading.powerWatts : undefined);
        if (g.note) sink.note?.('nvml', `${d.info.id}: ${g.note}`);
        if (g.energyJoules !== undefined) mapped.reading.energyJoules = g.energyJoules;
        const r = mapped.reading;
        d.instant = r.powerKind === 'instant';
        if (r.powerWatts === undefined && r.energyJoules === undefined && r.vramUsedBytes === undefined && r.utilizationPercent === undefined) {
          sink.gap({ deviceId: d.info.id, probe: 'nvml', tMs: now, reason: 'NVML answered nothing usable' });
          continue;
        }
        sink.reading(r);
      }
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
  }

  /** The GPU's sysfs power state when it is in runtime suspend and may not be woken (else undefined). */
  private asleep(d: Dev): PciPm | undefined {
    if (this.opts.wakeSleeping || !d.info.busId) return undefined;
    const bdf = sysfsBdf(d.info.busId);
    const pm = bdf ? readPciPm(bdf, this.root) : {};
    return isAsleep(pm) ? pm : undefined;
  }

  /** Every GPU asleep: report each one's state from sysfs; once one is active, open NVML for all. */
  private sleepingTick(sink: ReadingSink): void {
    const now = this.now();
    let awake = false;
    for (const x of this.sleeping) {
      const pm = readPciPm(x.bdf, this.root);
      if (!isAsleep(pm)) awake = true;
      sink.reading({ deviceId: x.info.id, tMs: now, pmState: pmText(pm) });
    }
    if (!awake || this.opening) return;
    this.opening = this.openNvml(new Map()).then(
      (det) => {
        if (det.status !== 'ok') {
          sink.note?.('nvml', `a GPU woke, but NVML could not be opened: ${det.reason ?? det.status}`);
          this.opening = undefined;
          return;
        }
        sink.note?.('nvml', `a GPU woke (${this.sleeping.map((x) => x.info.id).join(', ')}): reading it through NVML now`);
        this.sleeping = [];
      },
      () => (this.opening = undefined),
    );
  }

  /** Compute and graphics processes per GPU (a process in both is listed once, with the larger figure). */
  async processes(): Promise<Map<string, GpuProcess[]> | null> {
    const n = this.nvml;
    if (!n || !this.initialized || typeof n.computeProcesses !== 'function') return null;
    const out = new Map<string, GpuProcess[]>();
    let any = false;
    for (const d of this.devs) {
      if (this.asleep(d)) continue; // listing its processes would wake it
      const byPid = new Map<number, GpuProcess>();
      for (const a of [n.computeProcesses(d.handle), n.graphicsProcesses(d.handle)]) {
        // NOT_SUPPORTED: this GPU lists no processes (a fact); any other error is a failed look, said as such.
        if (a.ret !== NVML.SUCCESS && !unsupported(a.ret)) throw new Error(`NVML could not list the processes on ${d.info.id}: ${n.errorString(a.ret)}`);
        if (a.ret !== NVML.SUCCESS || !a.value) continue;
        any = true;
        for (const p of a.value) {
          const seen = byPid.get(p.pid);
          if (!seen) byPid.set(p.pid, { ...p });
          else if (p.usedBytes !== undefined && (seen.usedBytes === undefined || p.usedBytes > seen.usedBytes)) seen.usedBytes = p.usedBytes;
        }
      }
      out.set(d.info.id, [...byPid.values()]);
    }
    return any ? out : null;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.initialized && this.nvml) {
      this.initialized = false;
      try {
        this.nvml.shutdown();
      } catch {
        // shutting down anyway
      }
    }
  }
}
