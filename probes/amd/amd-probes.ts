/**
 * AMD probes. `amd-sysfs`: amdgpu sysfs files, polled (no tool, µs per read). `amd-smi` and
 * `rocm-smi`: one JSON query per sample, each started only when the previous one answered (they take
 * tens to hundreds of ms), a failed or garbled answer is a gap. GPUs keyed by PCI bus id.
 */
import type { Detection, DeviceInfo, GpuProcess, Probe, Reading, ReadingSink, SampleTiming } from '../types.js';
import { drmProcesses } from './drm-fdinfo.js';
import { CounterGuard } from '../nvidia/nvml-map.js';
import { parseAmdSmiMetric, parseAmdSmiStatic, parseRocmSmi, type AmdGpu, type AmdStatic } from './amd-parse.js';
import { findAmdCards, readCard, type SysfsCard } from './amd-sysfs.js';
import { timelineNow } from '../timeline.js';
import { amdPowerAverageMs } from './power-average.js';
import { PcieBwReader } from './pcie-bw.js';
import { join } from 'node:path';

export class AmdSysfsProbe implements Probe {
  readonly name = 'amd-sysfs' as const;
  private cards: SysfsCard[] = [];

  constructor(private readonly root = process.env.GENWATT_AMD_SYSFS ?? '/sys/class/drm') {}

  async detect(): Promise<Detection> {
    this.cards = findAmdCards(this.root).filter((c) => c.powerFile || c.vramTotalBytes !== undefined);
    if (this.cards.length === 0) return { status: 'unavailable', devices: [], reason: `no amdgpu card under ${this.root}` };
    const devices = this.cards.map((c, i): DeviceInfo => {
      const d: DeviceInfo = {
        id: c.id,
        vendor: 'amd',
        name: `AMD GPU (${c.card})`,
        probe: 'amd-sysfs',
        index: i,
        powerScope: c.apu ? 'apu package (includes CPU)' : 'board',
      };
      if (c.busId) d.busId = c.busId;
      if (c.vramTotalBytes !== undefined) d.vramTotalBytes = c.vramTotalBytes;
      const averageMs = c.powerFile === 'power1_average' ? amdPowerAverageMs(c.pciDeviceId) : undefined;
      if (averageMs !== undefined) d.powerAverageMs = averageMs;
      return d;
    });
    const files = [
      ...new Set(
        this.cards.map((c, i) =>
          !c.powerFile
            ? 'no power file'
            : c.powerFile === 'power1_input'
              ? 'power1_input: instant'
              : devices[i].powerAverageMs
                ? `power1_average: ${devices[i].powerAverageMs} ms average, power recovered from it`
                : 'power1_average: average of unknown width, flagged',
        ),
      ),
    ];
    return { status: 'ok', devices, method: `amdgpu sysfs (${files.join('; ')})` };
  }

  /** Each card's `pcie_bw`, read in the background (a read takes a second in the kernel). */
  private readonly pcieBw = new Map<string, PcieBwReader>();

  async poll(): Promise<Reading[]> {
    const t = timelineNow();
    return this.cards.map((c) => {
      const r = readCard(c, t);
      if (c.vramTotalBytes !== undefined && r.vramUsedBytes !== undefined) r.vramFreeBytes = Math.max(0, c.vramTotalBytes - r.vramUsedBytes);
      let bw = this.pcieBw.get(c.id);
      if (!bw) this.pcieBw.set(c.id, (bw = new PcieBwReader(join(c.deviceDir, 'pcie_bw'))));
      const v = bw.take();
      if (v) {
        r.pcieRxBytesPerSec = v.rxBytesPerSec;
        r.pcieTxBytesPerSec = v.txBytesPerSec;
      }
      return r;
    });
  }

  private lastLook: { tMs: number; lists: Map<string, GpuProcess[]> } | undefined;

  /**
   * Processes per card from the kernel's DRM fdinfo (drm-fdinfo.ts): every process is looked at
   * most once a second (a scan reads each process's fd links), in between the last look stands.
   */
  async processes(): Promise<Map<string, GpuProcess[]> | null> {
    const now = Date.now();
    if (this.lastLook && now - this.lastLook.tMs < 1000 && now >= this.lastLook.tMs) return this.lastLook.lists;
    const byPdev = drmProcesses('amdgpu');
    const lists = new Map<string, GpuProcess[]>();
    for (const c of this.cards) {
      const procs = c.busId ? byPdev.get(c.busId.toLowerCase()) : undefined;
      lists.set(
        c.id,
        [...(procs ?? new Map<number, number | undefined>()).entries()].map(([pid, usedBytes]) => (usedBytes === undefined ? { pid } : { pid, usedBytes })),
      );
    }
    this.lastLook = { tMs: now, lists };
    return lists;
  }

  async close(): Promise<void> {}
}

type Tool = 'amd-smi' | 'rocm-smi';

/** Answers between two reads of amd-smi's numbering when no answer hints at a change. */
const RECHECK_ANSWERS = 10;

const numbersOf = (list: Iterable<number>): string => [...list].sort((a, b) => a - b).join(',');

/** `0=0000:03:00.0 1=0000:04:00.0`: what each GPU number means, to compare two reads of it. */
function layoutOf(statics: Map<number, AmdStatic>): string {
  return [...statics.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, st]) => `${i}=${st.busId ?? '?'}`)
    .join(' ');
}

const ARGS: Record<Tool, string[]> = {
  'amd-smi': ['metric', '--json'],
  'rocm-smi': [
    '--showpower',
    '--showuse',
    '--showmemuse',
    '--showtemp',
    '--showclocks',
    '--showbus',
    '--showproductname',
    '--showmeminfo',
    'vram',
    '--showmaxpower',
    '--json',
  ],
};

export class AmdToolProbe implements Probe {
  private gpus: AmdGpu[] = [];
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly guards = new Map<string, CounterGuard>();
  /** amd-smi: tool index → static facts (bus id keys the GPU, as the other AMD probes do). */
  private statics = new Map<number, AmdStatic>();
  /** amd-smi: every GPU number has a bus id, so each answer's numbers can be checked against them. */
  private numberingKnown = false;
  private answersSinceCheck = 0;
  private lastNumbers = '';
  /** Set once the GPU list changed with no bus id to re-match by: every answer is refused from then on. */
  private unmatchable: string | undefined;

  constructor(
    readonly name: Tool,
    private readonly command: string = name,
  ) {}

  private async query(): Promise<AmdGpu[]> {
    const text = await this.run(ARGS[this.name]);
    let gpus: AmdGpu[];
    try {
      gpus = this.name === 'amd-smi' ? parseAmdSmiMetric(text) : parseRocmSmi(text);
    } catch {
      throw new Error(`${this.command} printed something that is not its JSON: ${text.trim().slice(0, 80)}`);
    }
    if (this.name === 'amd-smi') await this.checkNumbering(gpus);
    for (const g of gpus) {
      const st = this.statics.get(g.index);
      if (st?.busId) {
        g.id = st.busId;
        g.busId = st.busId;
      }
      if (st?.name && !g.name) g.name = st.name;
      if (st?.powerLimitWatts !== undefined && g.powerLimitWatts === undefined) g.powerLimitWatts = st.powerLimitWatts;
    }
    return gpus;
  }

  private async run(args: string[]): Promise<string> {
    const { execa } = await import('execa');
    const r = await execa(this.command, args, { timeout: 10000, stdin: 'ignore', reject: false, maxBuffer: 16 * 1024 * 1024 });
    const e = r as { code?: string; exitCode?: number; stderr?: string; stdout?: string; timedOut?: boolean };
    if (e.code === 'ENOENT') throw Object.assign(new Error(`${this.command} not found on PATH`), { missing: true });
    if (e.timedOut) throw new Error(`${this.command} did not answer within 10 s`);
    if (e.exitCode !== 0) throw new Error(`${this.command} exited with code ${e.exitCode}${e.stderr ? `: ${String(e.stderr).trim().split('\n').pop()}` : ''}`);
    return String(e.stdout ?? '');
  }

  /**
   * amd-smi numbers GPUs by position, and a GPU that drops off renumbers the others: its number then
   * names another GPU. Numbers are mapped to PCI bus ids from `static --json`, read again whenever an
   * answer's numbers differ from that map and every RECHECK_ANSWERS answers. An answer read while the
   * map changed is dropped (it may use either numbering). Without bus ids a changed list stops the
   * readings: unknown rather than charged to another GPU.
   */
  private async checkNumbering(gpus: AmdGpu[]): Promise<void> {
    if (this.unmatchable) throw new Error(this.unmatchable);
    const now = numbersOf(gpus.map((g) => g.index));
    if (!this.numberingKnown) {
      const detected = numbersOf(this.gpus.map((g) => g.index));
      if (this.gpus.length === 0 || now === detected) return;
      this.unmatchable = `${this.command}'s GPU list changed (GPUs ${detected} → ${now}) and it gave no PCI bus id to match them by: readings stop here (unknown) rather than be charged to another GPU`;
      throw new Error(this.unmatchable);
    }
    const changed = now !== this.lastNumbers;
    this.lastNumbers = now;
    if (!changed && ++this.answersSinceCheck < RECHECK_ANSWERS) return;
    this.answersSinceCheck = 0;
    const before = layoutOf(this.statics);
    this.statics = await this.readStatics();
    const after = layoutOf(this.statics);
    if (after !== before)
      throw new Error(`${this.command} renumbered its GPUs (${before} → ${after}): readings are matched again by PCI bus id from its next answer`);
    // Same map, yet a number it lacks: the list changed between the two reads.
    if (gpus.some((g) => !this.statics.has(g.index))) throw new Error(`${this.command}'s GPU numbers changed while it was read (${now}): answer dropped`);
  }

  /** `amd-smi static --json`: per GPU number, its PCI bus id (which keys the GPU), name and power cap. */
  private async readStatics(): Promise<Map<number, AmdStatic>> {
    const map = new Map<number, AmdStatic>();
    for (const st of parseAmdSmiStatic(await this.run(['static', '--json']))) map.set(st.index, st);
    return map;
  }

  async detect(): Promise<Detection> {
    if (this.name === 'amd-smi') {
      try {
        this.statics = await this.readStatics();
        this.numberingKnown = this.statics.size > 0 && [...this.statics.values()].every((st) => st.busId);
        this.lastNumbers = numbersOf(this.statics.keys());
      } catch {
        // best effort: GPUs are then keyed by amd-smi's numbers, and a changed list stops the readings
      }
    }
    try {
      this.gpus = await this.query();
    } catch (err) {
      return { status: (err as { missing?: boolean }).missing ? 'unavailable' : 'error', devices: [], reason: (err as Error).message };
    }
    if (this.gpus.length === 0) return { status: 'unavailable', devices: [], reason: `${this.command} lists no GPU` };
    const devices = this.gpus.map((g): DeviceInfo => {
      const d: DeviceInfo = { id: g.id, vendor: 'amd', name: g.name ?? `AMD GPU ${g.index}`, probe: this.name, index: g.index, powerScope: 'board' };
      if (g.busId) d.busId = g.busId;
      if (g.vramTotalBytes !== undefined) d.vramTotalBytes = g.vramTotalBytes;
      if (g.powerLimitWatts !== undefined) d.powerLimitWatts = g.powerLimitWatts;
      return d;
    });
    return { status: 'ok', devices, method: `${this.name} --json (package power: average, flagged)` };
  }

  start(sink: ReadingSink, timing: SampleTiming): void {
    const intervalMs = timing.intervalMs;
    this.closed = false;
    let inGap = false;
    const missing = new Set<string>();
    const loop = async () => {
      const t0 = timelineNow();
      try {
        const gpus = await this.query();
        if (this.closed) return;
        inGap = false;
        const tMs = timelineNow();
        for (const known of this.gpus) {
          const listed = gpus.some((g) => g.id === known.id);
          if (listed) missing.delete(known.id);
          else if (!missing.has(known.id)) {
            missing.add(known.id);
            const reason = `${this.command} no longer lists GPU ${known.id}: unknown from here`;
            sink.gap({ deviceId: known.id, probe: this.name, tMs, reason });
            sink.note?.(this.name, reason);
          }
        }
        for (const g of gpus) {
          const known = this.gpus.find((x) => x.id === g.id);
          if (!known) continue;
          const r: Reading = { deviceId: g.id, tMs, ...g.reading };
          // amd-smi's energy accumulator can be stale or go backwards: used only once it checks out against power.
          if (g.energyJoules !== undefined) {
            let guard = this.guards.get(g.id);
            if (!guard) this.guards.set(g.id, (guard = new CounterGuard(1000, 0.25, 3000)));
            const fed = guard.feed(tMs, g.energyJoules, r.powerWatts);
            if (fed.note) sink.note?.(this.name, `${g.id}: ${fed.note}`);
            if (fed.energyJoules !== undefined) r.energyJoules = fed.energyJoules;
          }
          sink.reading(r);
        }
      } catch (err) {
        if (this.closed) return;
        if (!inGap) {
          inGap = true;
          const msg = (err as Error).message;
          for (const g of this.gpus) sink.gap({ deviceId: g.id, probe: this.name, tMs: timelineNow(), reason: msg });
          sink.note?.(this.name, msg);
        }
      }
      if (this.closed) return;
      // No faster than the tool answers: the next query starts `intervalMs` after this one started, or now.
      this.timer = setTimeout(run, Math.max(0, intervalMs - (timelineNow() - t0)));
    };
    // The loop catches the tool's failures itself; what escapes it (a sink that threw) is said, not lost.
    const run = (): void => {
      loop().catch((err: unknown) => sink.note?.(this.name, `sampling stopped: ${(err as Error).message}`));
    };
    run();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
