/**
 * NVIDIA Jetson through one long-lived `tegrastats --interval <ms>`. Power is the GPU rail when the
 * board has one, else the closest rail, with its scope named; memory is the shared system RAM
 * (labelled: Jetson GPUs have no memory of their own). A log with no rails gives power absent.
 */
import { readFileSync } from 'node:fs';
import { StreamTool, firstLine } from '../stream-tool.js';
import type { Detection, DeviceInfo, Probe, ReadingSink, Reading, SampleTiming } from '../types.js';
import { chooseRail, parseTegrastatsLine, type RailChoice } from './tegrastats-parse.js';

export const JETSON_DEVICE_ID = 'jetson-0';

export interface TegrastatsOptions {
  command?: string;
  now?: () => number;
  backoffMs?: number;
  /** Board name; default /proc/device-tree/model. */
  model?: string;
}

function boardModel(): string | undefined {
  try {
    return readFileSync('/proc/device-tree/model', 'utf8').replace(/\0/g, '').trim() || undefined;
  } catch {
    return undefined;
  }
}

export class TegrastatsProbe implements Probe {
  readonly name = 'tegrastats' as const;
  private readonly cmd: string;
  private tool: StreamTool | undefined;
  private rail: RailChoice | null = null;

  constructor(private readonly opts: TegrastatsOptions = {}) {
    this.cmd = opts.command ?? 'tegrastats';
  }

  async detect(): Promise<Detection> {
    const got = await firstLine(this.cmd, ['--interval', '200'], (l) => parseTegrastatsLine(l) !== null, 4000);
    if ('error' in got) return { status: got.missing ? 'unavailable' : 'error', devices: [], reason: got.error };
    const t = parseTegrastatsLine(got.line)!;
    this.rail = chooseRail(t.rails);
    const model = this.opts.model ?? boardModel() ?? 'NVIDIA Jetson';
    const d: DeviceInfo = { id: JETSON_DEVICE_ID, vendor: 'jetson', name: model, probe: 'tegrastats', memoryScope: 'shared system RAM (unified memory)' };
    if (this.rail) d.powerScope = this.rail.scope;
    if (t.ramTotalBytes !== undefined) d.vramTotalBytes = t.ramTotalBytes;
    const method = this.rail ? `tegrastats (${this.rail.rail}: ${this.rail.scope}, instant)` : 'tegrastats (no power rails on this board: power n/a)';
    return { status: 'ok', devices: [d], method };
  }

  start(sink: ReadingSink, timing: SampleTiming): void {
    const every = Math.max(10, Math.round(timing.intervalMs));
    this.tool = new StreamTool(this.cmd, ['--interval', String(every)], { stallMs: timing.stallMs, backoffMs: this.opts.backoffMs, now: this.opts.now });
    this.tool.start(
      (line, arrivalMs) => {
        if (line.trim() === '') return 'skip';
        const t = parseTegrastatsLine(line);
        if (!t) return 'bad';
        // tegrastats' own stamp has 1 s resolution: arrival time is closer to the sample.
        const r: Reading = { deviceId: JETSON_DEVICE_ID, tMs: arrivalMs };
        const rail = this.rail ? t.rails.find((x) => x.name === this.rail!.rail) : undefined;
        if (rail) {
          r.powerWatts = rail.currentMw / 1000;
          r.powerKind = 'instant';
        }
        if (t.ramUsedBytes !== undefined) r.vramUsedBytes = t.ramUsedBytes;
        if (t.gpuPercent !== undefined) r.utilizationPercent = t.gpuPercent;
        if (t.gpuTemperatureC !== undefined) r.temperatureC = t.gpuTemperatureC;
        if (t.gpuClockMhz !== undefined) r.clockMhz = t.gpuClockMhz;
        sink.reading(r);
        return 'ok';
      },
      { probe: this.name, sink, deviceIds: () => [JETSON_DEVICE_ID] },
    );
  }

  async close(): Promise<void> {
    await this.tool?.close();
  }
}
