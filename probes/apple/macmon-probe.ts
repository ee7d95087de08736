/** Apple Silicon through `macmon pipe` (JSON lines, W, no root), one long-lived process. */
import { StreamTool, firstLine } from '../stream-tool.js';
import type { Detection, DeviceInfo, Probe, Reading, ReadingSink, SampleTiming } from '../types.js';
import { parseMacmonLine } from './apple-parse.js';
import { APPLE_DEVICE_ID, UNIFIED_MEMORY } from './powermetrics-probe.js';

export interface MacmonOptions {
  command?: string;
  now?: () => number;
  backoffMs?: number;
}

export class MacmonProbe implements Probe {
  readonly name = 'macmon' as const;
  private tool: StreamTool | undefined;

  constructor(private readonly opts: MacmonOptions = {}) {}

  async detect(): Promise<Detection> {
    const cmd = this.opts.command ?? 'macmon';
    const got = await firstLine(cmd, ['pipe', '-i', '200'], (l) => parseMacmonLine(l) !== null, 5000);
    if ('error' in got) return { status: got.missing ? 'unavailable' : 'error', devices: [], reason: got.error };
    const s = parseMacmonLine(got.line)!;
    const d: DeviceInfo = {
      id: APPLE_DEVICE_ID,
      vendor: 'apple',
      name: 'Apple Silicon GPU',
      probe: 'macmon',
      powerScope: 'gpu cluster',
      memoryScope: UNIFIED_MEMORY,
    };
    if (s.ramTotalBytes !== undefined) d.vramTotalBytes = s.ramTotalBytes;
    return { status: 'ok', devices: [d], method: 'macmon pipe (GPU power, W)' };
  }

  start(sink: ReadingSink, timing: SampleTiming): void {
    this.tool = new StreamTool(this.opts.command ?? 'macmon', ['pipe', '-i', String(Math.max(10, Math.round(timing.intervalMs)))], {
      stallMs: timing.stallMs,
      backoffMs: this.opts.backoffMs,
      now: this.opts.now,
    });
    this.tool.start(
      (line, arrivalMs) => {
        if (line.trim() === '') return 'skip';
        const s = parseMacmonLine(line);
        if (!s) return 'bad';
        const r: Reading = { deviceId: APPLE_DEVICE_ID, tMs: arrivalMs };
        if (s.gpuPowerWatts !== undefined) {
          r.powerWatts = s.gpuPowerWatts;
          r.powerKind = 'instant';
        }
        if (s.gpuActivePercent !== undefined) r.utilizationPercent = s.gpuActivePercent;
        if (s.gpuMhz !== undefined) r.clockMhz = s.gpuMhz;
        if (s.gpuTemperatureC !== undefined) r.temperatureC = s.gpuTemperatureC;
        if (s.ramUsedBytes !== undefined) r.vramUsedBytes = s.ramUsedBytes;
        sink.reading(r);
        return 'ok';
      },
      { probe: this.name, sink, deviceIds: () => [APPLE_DEVICE_ID] },
    );
  }

  async close(): Promise<void> {
    await this.tool?.close();
  }
}
