/**
 * NVIDIA through one long-lived `nvidia-smi --query-gpu=... -lms N` process for the whole session
 * (a one-shot query costs ~30 ms; never spawn per sample). If it dies or stalls, the gap is marked
 * and it is restarted with back-off (probes/stream-tool.ts).
 */
import { StreamTool, type LineVerdict } from '../stream-tool.js';
import { parseDmonLine, type DmonState } from './nvidia-smi-dmon.js';
import { asleepText, isAsleep, nvidiaPciDevices, readPciPm } from './pci-pm.js';
import type { Detection, DeviceInfo, Probe, ReadingSink, SampleTiming } from '../types.js';
import { cellText, deviceKey, parseTimestamp, rowToFacts, rowToReading, rowToRecord, splitCsvLine } from './nvidia-smi-csv.js';
import { wallOffsetMs } from '../timeline.js';

export const DETECT_FIELDS = ['index', 'uuid', 'pci.bus_id', 'name', 'memory.total', 'enforced.power.limit', 'power.limit', 'driver_version'] as const;
export const STREAM_FIELDS = [
  'timestamp',
  'pci.bus_id',
  'uuid',
  'power.draw.instant',
  'power.draw',
  'memory.used',
  'utilization.gpu',
  'temperature.gpu',
  'clocks.sm',
] as const;

/** Options, mostly for tests. */
export interface NvidiaSmiOptions {
  /** Run nvidia-smi even when every NVIDIA GPU sleeps (a measured run); default: leave them asleep. */
  wakeSleeping?: boolean;
  /** Executable; default `nvidia-smi` from PATH. */
  command?: string;
  /** No line for this long = stalled. Default max(5 × interval, 2000 ms). */
  stallMs?: number;
  /** First restart delay; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  /** Stream `nvidia-smi dmon -s t` beside the query for PCIe throughput (default true). */
  pcie?: boolean;
}

/** Why a spawn failed, in words a user can act on. */
export function explainSpawnError(cmd: string, err: unknown): string {
  const e = err as { code?: string; exitCode?: number; stderr?: string; shortMessage?: string; timedOut?: boolean };
  if (e.code === 'ENOENT') return `${cmd} not found on PATH`;
  if (e.code === 'EACCES') return `${cmd} is not executable (permission denied)`;
  if (e.timedOut) return `${cmd} did not answer within the time limit`;
  const first = (e.stderr ?? '')
    .split('\n')
    .map((s) => s.trim())
    .find((s) => s !== '');
  if (first) return `${cmd} failed: ${first}`;
  if (e.exitCode !== undefined) return `${cmd} exited with code ${e.exitCode}`;
  return `${cmd} failed: ${e.shortMessage ?? String(err)}`;
}

export class NvidiaSmiProbe implements Probe {
  readonly name = 'nvidia-smi' as const;
  private readonly cmd: string;
  private readonly opts: NvidiaSmiOptions;
  private fields: string[] = [...STREAM_FIELDS];
  private devices: DeviceInfo[] = [];
  private tool: StreamTool | undefined;
  /** `nvidia-smi dmon -s t`: PCIe throughput once a second (the query stream has no such field). */
  private dmon: StreamTool | undefined;

  constructor(opts: NvidiaSmiOptions = {}) {
    this.opts = opts;
    this.cmd = opts.command ?? 'nvidia-smi';
  }

  async detect(): Promise<Detection> {
    // nvidia-smi wakes a GPU in runtime suspend and keeps it awake for seconds after it exits.
    const pci = nvidiaPciDevices();
    if (pci.length > 0 && !this.opts.wakeSleeping && pci.every((b) => isAsleep(readPciPm(b)))) {
      return { status: 'unavailable', devices: [], reason: `every NVIDIA GPU is ${asleepText(readPciPm(pci[0]))}: nvidia-smi would wake it` };
    }
    const { execa } = await import('execa');
    const query = async (fields: readonly string[]) =>
      execa(this.cmd, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'], { timeout: 15000, stdin: 'ignore' });
    let out: string;
    try {
      out = (await query(DETECT_FIELDS)).stdout;
    } catch (err) {
      const reason = explainSpawnError(this.cmd, err);
      const missing = (err as { code?: string }).code === 'ENOENT';
      return { status: missing ? 'unavailable' : 'error', devices: [], reason };
    }
    const devices: DeviceInfo[] = [];
    for (const line of out.split('\n')) {
      if (line.trim() === '') continue;
      const facts = rowToFacts(rowToRecord(DETECT_FIELDS, splitCsvLine(line)));
      if (!facts) continue;
      const d: DeviceInfo = { id: facts.id, vendor: 'nvidia', name: facts.name, probe: 'nvidia-smi', powerScope: 'board' };
      if (facts.busId) d.busId = facts.busId;
      if (facts.uuid) d.uuid = facts.uuid;
      if (facts.index !== undefined) d.index = facts.index;
      if (facts.vramTotalBytes !== undefined) d.vramTotalBytes = facts.vramTotalBytes;
      if (facts.powerLimitWatts !== undefined) d.powerLimitWatts = facts.powerLimitWatts;
      devices.push(d);
    }
    if (devices.length === 0) return { status: 'unavailable', devices: [], reason: `${this.cmd} lists no GPU` };
    // Static facts the CSV query lacks (driver version; a power limit it printed as [N/A]): best effort.
    try {
      const { parseNvidiaSmiXml } = await import('./nvidia-smi-xml.js');
      const { powerDrawAverageMs } = await import('./power-average.js');
      const facts = parseNvidiaSmiXml((await execa(this.cmd, ['-q', '-x'], { timeout: 15000, stdin: 'ignore' })).stdout);
      for (const d of devices) {
        const x = facts.gpus.find((g) => g.busId === d.busId || (g.uuid !== undefined && g.uuid === d.uuid));
        if (facts.driverVersion) d.driverVersion = facts.driverVersion;
        if (x?.powerLimitWatts !== undefined && d.powerLimitWatts === undefined) d.powerLimitWatts = x.powerLimitWatts;
        if (x?.vramTotalBytes !== undefined && d.vramTotalBytes === undefined) d.vramTotalBytes = x.vramTotalBytes;
        const averageMs = powerDrawAverageMs(x?.architecture, d.name);
        if (averageMs !== undefined) d.powerAverageMs = averageMs;
      }
    } catch {
      // older tools or a fake without -q -x: the CSV facts stand
    }
    // Drivers before ~530 reject `power.draw.instant` as a field: then stream `power.draw` (average).
    let method = 'nvidia-smi -lms (power.draw.instant)';
    try {
      await query(['power.draw.instant']);
    } catch {
      this.fields = STREAM_FIELDS.filter((f) => f !== 'power.draw.instant');
      method = devices.every((d) => d.powerAverageMs)
        ? 'nvidia-smi -lms (power.draw: 1 s average, power recovered from it, flagged)'
        : 'nvidia-smi -lms (power.draw: average or latest reading, flagged)';
    }
    this.devices = devices;
    return { status: 'ok', devices, method };
  }

  start(sink: ReadingSink, timing: SampleTiming): void {
    const args = [`--query-gpu=${this.fields.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(Math.max(1, Math.round(timing.intervalMs)))];
    this.tool = new StreamTool(this.cmd, args, {
      stallMs: this.opts.stallMs ?? timing.stallMs,
      backoffMs: this.opts.backoffMs,
      maxBackoffMs: this.opts.maxBackoffMs,
      now: this.opts.now,
    });
    this.tool.start((line, arrivalMs) => this.onLine(sink, line, arrivalMs), { probe: this.name, sink, deviceIds: () => this.devices.map((d) => d.id) });
    if (this.opts.pcie === false) return;
    // Its own stream: when it dies or stalls, PCIe figures go missing, never power (no gaps from it).
    const st: DmonState = { columns: null };
    this.dmon = new StreamTool(this.cmd, ['dmon', '-s', 't', '-d', '1'], {
      stallMs: Math.max(5000, this.opts.stallMs ?? timing.stallMs),
      backoffMs: this.opts.backoffMs ?? 2000,
      maxBackoffMs: 60_000,
      now: this.opts.now,
    });
    const quiet = { reading: sink.reading.bind(sink), gap: () => undefined, note: sink.note?.bind(sink) };
    this.dmon.start(
      (line, arrivalMs) => {
        const p = parseDmonLine(line, st);
        if (p.kind !== 'row') return p.kind === 'bad' ? 'bad' : 'skip';
        const d = this.devices.find((x) => x.index === p.index);
        if (!d) return 'bad';
        if (Object.keys(p.reading).length) sink.reading({ deviceId: d.id, tMs: arrivalMs, ...p.reading });
        return 'ok';
      },
      { probe: this.name, sink: quiet, deviceIds: () => [] },
    );
  }

  private onLine(sink: ReadingSink, line: string, arrivalMs: number): LineVerdict {
    if (line.trim() === '') return 'skip';
    const rec = rowToRecord(this.fields, splitCsvLine(line));
    const id = deviceKey(rec);
    const known = id !== undefined && (this.devices.length === 0 || this.devices.some((d) => d.id === id));
    // A line must name a known GPU and carry a plausible timestamp; anything else is garbage.
    const stamp = parseTimestamp(rec['timestamp']);
    if (!known || (cellText(rec['timestamp']) !== undefined && stamp === undefined)) return 'bad';
    // Trust nvidia-smi's own (local-time, wall-clock) stamp, placed on genwatt's timeline, when it
    // agrees with arrival; pipes can delay lines. After a wall-clock step it does not: arrival then.
    const placed = stamp === undefined ? undefined : stamp - wallOffsetMs();
    const tMs = placed !== undefined && Math.abs(arrivalMs - placed) < 2000 ? placed : arrivalMs;
    sink.reading(rowToReading(rec, id!, tMs));
    return 'ok';
  }

  async close(): Promise<void> {
    await Promise.all([this.tool?.close(), this.dmon?.close()]);
  }
}
