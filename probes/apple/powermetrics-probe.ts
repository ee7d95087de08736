/**
 * Apple Silicon through one long-lived `powermetrics --samplers gpu_power,cpu_power -i <ms>`
 * (root needed: run through `sudo -n` when not root, and say so plainly when that is refused). Each
 * block's GPU power is its mean over the block's interval; genwatt places it at the interval's
 * middle, which integrates exactly. Memory: Apple GPUs use unified memory and powermetrics gives no
 * GPU allocation, so the figure is system memory in use, labelled so.
 */
import { freemem, totalmem } from 'node:os';
import { StreamTool, firstLine } from '../stream-tool.js';
import type { Detection, DeviceInfo, Probe, Reading, ReadingSink, SampleTiming } from '../types.js';
import { isPowermetricsHeader, parsePowermetricsBlock } from './apple-parse.js';

export const APPLE_DEVICE_ID = 'apple-gpu-0';
export const UNIFIED_MEMORY = 'system memory in use (unified memory)';

export interface PowermetricsOptions {
  command?: string;
  /** Run through `sudo -n` (default: when not root). */
  sudo?: boolean;
  sudoCommand?: string;
  now?: () => number;
  backoffMs?: number;
}

export class PowermetricsProbe implements Probe {
  readonly name = 'powermetrics' as const;
  private tool: StreamTool | undefined;
  private readonly useSudo: boolean;

  constructor(private readonly opts: PowermetricsOptions = {}) {
    this.useSudo = opts.sudo ?? (typeof process.getuid === 'function' && process.getuid() !== 0);
  }

  private argv(intervalMs: number, count?: number): [string, string[]] {
    const pm = this.opts.command ?? 'powermetrics';
    const args = ['--samplers', 'gpu_power,cpu_power', '-i', String(Math.max(10, Math.round(intervalMs))), ...(count ? ['-n', String(count)] : [])];
    return this.useSudo ? [this.opts.sudoCommand ?? 'sudo', ['-n', pm, ...args]] : [pm, args];
  }

  async detect(): Promise<Detection> {
    const [cmd, args] = this.argv(200, 2);
    const got = await firstLine(cmd, args, (l) => /^GPU Power: /.test(l.trim()) || isPowermetricsHeader(l), 5000);
    if ('error' in got) {
      const refused = /password is required|not allowed|sudo:/.test(got.error);
      const reason = refused
        ? `powermetrics needs root and sudo -n was refused (${got.error.replace(/^.*?: /, '')}): run genwatt with sudo, allow powermetrics in sudoers, or use --probe macmon`
        : got.error;
      return { status: got.missing ? 'unavailable' : 'error', devices: [], reason };
    }
    const d: DeviceInfo = {
      id: APPLE_DEVICE_ID,
      vendor: 'apple',
      name: 'Apple Silicon GPU',
      probe: 'powermetrics',
      powerScope: 'gpu cluster',
      vramTotalBytes: totalmem(),
      memoryScope: UNIFIED_MEMORY,
    };
    return { status: 'ok', devices: [d], method: `powermetrics gpu_power (interval means${this.useSudo ? ', via sudo -n' : ''})` };
  }

  start(sink: ReadingSink, timing: SampleTiming): void {
    const intervalMs = timing.intervalMs;
    const [cmd, args] = this.argv(intervalMs);
    let block: string[] = [];
    let blockArrival = 0;
    /** Parses the collected block; true when it was a sample. */
    const emit = (): boolean => {
      if (block.length === 0) return false;
      const s = parsePowermetricsBlock(block.join('\n'));
      block = [];
      if (!s) return false;
      // The header arrives when the block's interval has ended: its middle is half an interval back.
      const r: Reading = { deviceId: APPLE_DEVICE_ID, tMs: Math.round(blockArrival - (s.elapsedMs ?? intervalMs) / 2) };
      if (s.gpuPowerWatts !== undefined) {
        r.powerWatts = s.gpuPowerWatts;
        r.powerKind = 'instant';
      }
      if (s.gpuActivePercent !== undefined) r.utilizationPercent = s.gpuActivePercent;
      if (s.gpuActiveMhz !== undefined) r.clockMhz = s.gpuActiveMhz;
      r.vramUsedBytes = totalmem() - freemem();
      sink.reading(r);
      return true;
    };
    this.tool = new StreamTool(cmd, args, { stallMs: timing.stallMs, backoffMs: this.opts.backoffMs, now: this.opts.now });
    this.tool.start(
      (line, arrivalMs) => {
        if (isPowermetricsHeader(line)) {
          const had = emit();
          blockArrival = arrivalMs;
          block = [line];
          return had ? 'ok' : 'skip';
        }
        if (block.length === 0) return 'skip';
        block.push(line);
        // The GPU section ends each block with the requested samplers: emit without waiting for the next header.
        if (/^GPU Power: /.test(line.trim()) && block.some((l) => /GPU idle residency/.test(l))) return emit() ? 'ok' : 'skip';
        return 'skip';
      },
      { probe: this.name, sink, deviceIds: () => [APPLE_DEVICE_ID] },
    );
  }

  async close(): Promise<void> {
    await this.tool?.close();
  }
}
