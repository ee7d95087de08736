/**
 * External power meters as a probe (`--meter`, `--meter-cmd`): one device per meter, labelled with
 * what it measures (the wall socket, a server's PSU), which is never charged or summed as a GPU.
 * HTTP meters and IPMI are asked once a second (a plug updates its reading about that often, a BMC
 * slower), one request at a time; `--meter-cmd` is one long-lived command whose lines are readings.
 * A meter that does not answer is a gap with its reason, never a zero.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Detection, DeviceInfo, Probe, Reading, ReadingSink, SampleTiming } from '../types.js';
import { timelineNow } from '../timeline.js';
import type { MeterSpec } from './meter-spec.js';
import { parseDcmiPowerReading, parseShellyGen1, parseShellyGen2, parseTasmotaStatus8, parseWattsLine, type MeterAnswer } from './meter-parse.js';

/** How often an HTTP meter or the BMC is asked, ms. */
export const METER_PERIOD_MS = 1000;
const HTTP_TIMEOUT_MS = 2500;
const MAX_BODY_BYTES = 64 * 1024;

export interface MeterProbeOptions {
  /** Executable for IPMI (tests put a fake first on PATH). */
  ipmitool?: string;
  periodMs?: number;
}

function url(s: MeterSpec): string {
  const base = `http://${s.host}:${s.port}`;
  if (s.kind === 'shelly') return `${base}/rpc/Switch.GetStatus?id=${s.channel ?? 0}`;
  if (s.kind === 'shelly1') return `${base}/meter/${s.channel ?? 0}`;
  return `${base}/cm?cmnd=Status%208`;
}

async function httpJson(u: string): Promise<unknown> {
  const res = await fetch(u, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), redirect: 'error' });
  const reader = res.body?.getReader();
  let size = 0;
  const parts: Uint8Array[] = [];
  if (reader)
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        throw new Error(`answer larger than ${MAX_BODY_BYTES} bytes`);
      }
      parts.push(value);
    }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the answer is not JSON');
  }
}

function runIpmitool(cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, ['dcmi', 'power', 'reading'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.stdout.on('data', (c: Buffer) => (out.length < 16384 ? (out += c) : undefined));
    p.stderr.on('data', (c: Buffer) => (err.length < 2048 ? (err += c) : undefined));
    p.on('error', (e) => (clearTimeout(timer), reject(e)));
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`ipmitool exited ${code}${err.trim() ? `: ${err.trim().split('\n')[0].slice(0, 200)}` : ''}`));
    });
  });
}

export class MeterProbe implements Probe {
  readonly name = 'meter' as const;
  private timer: NodeJS.Timeout | undefined;
  private child: ChildProcess | undefined;
  private closed = false;
  private busy = false;
  private lastProblem: string | undefined;
  readonly device: DeviceInfo;

  constructor(
    readonly spec: MeterSpec,
    private readonly opts: MeterProbeOptions = {},
  ) {
    this.device = {
      id: spec.id,
      vendor: 'meter',
      name: spec.kind === 'cmd' ? 'meter command' : spec.text,
      probe: 'meter',
      powerScope: spec.scope,
      meter: true,
    };
  }

  /** One answer, parsed. Throws with the reason when the meter cannot be read. */
  private async ask(): Promise<MeterAnswer> {
    const s = this.spec;
    if (s.kind === 'shelly') return parseShellyGen2(await httpJson(url(s)));
    if (s.kind === 'shelly1') return parseShellyGen1(await httpJson(url(s)));
    if (s.kind === 'tasmota') return parseTasmotaStatus8(await httpJson(url(s)));
    if (s.kind === 'ipmi') return parseDcmiPowerReading(await runIpmitool(this.opts.ipmitool ?? 'ipmitool'));
    throw new Error('a meter command streams');
  }

  async detect(): Promise<Detection> {
    const method = `${this.spec.kind === 'cmd' ? `meter command: ${this.spec.text.slice(0, 60)}` : this.spec.text} (${this.spec.scope})`;
    if (this.spec.kind === 'cmd') return { status: 'ok', devices: [this.device], method };
    try {
      const a = await this.ask();
      return { status: 'ok', devices: [this.device], method: a.invalid ? `${method}; ${a.invalid}` : method };
    } catch (err) {
      // Kept as a device: its windows are gaps with this reason, and it is read again every period.
      return { status: 'ok', devices: [this.device], method, reason: `not answering yet: ${(err as Error).message}` };
    }
  }

  start(sink: ReadingSink, _timing: SampleTiming): void {
    if (this.spec.kind === 'cmd') return this.startCommand(sink);
    const tick = async () => {
      if (this.busy || this.closed) return;
      this.busy = true;
      const askedMs = timelineNow();
      let tMs = askedMs;
      try {
        const a = await this.ask();
        if (this.closed) return;
        // The meter took its value somewhere between the question and the answer (ipmitool can take
        // a second): the midpoint halves the worst error; an HTTP plug answers in milliseconds.
        tMs = (askedMs + timelineNow()) / 2;
        const r: Reading = { deviceId: this.device.id, tMs };
        if (a.powerWatts !== undefined) {
          r.powerWatts = a.powerWatts;
          r.powerKind = 'instant';
        }
        if (a.energyJoules !== undefined) r.energyJoules = a.energyJoules;
        if (r.powerWatts === undefined && r.energyJoules === undefined) this.problem(sink, tMs, a.invalid ?? 'the meter gave no power figure');
        else {
          this.lastProblem = undefined;
          sink.reading(r);
        }
      } catch (err) {
        if (!this.closed) this.problem(sink, tMs, `${this.spec.text} not answering: ${(err as Error).message}`);
      } finally {
        this.busy = false;
      }
    };
    tick().catch(() => undefined); // tick reports its own failures as gaps
    this.timer = setInterval(() => tick().catch(() => undefined), this.opts.periodMs ?? METER_PERIOD_MS);
  }

  private problem(sink: ReadingSink, tMs: number, reason: string): void {
    sink.gap({ deviceId: this.device.id, probe: 'meter', tMs, reason });
    if (reason !== this.lastProblem) sink.note?.('meter', reason);
    this.lastProblem = reason;
  }

  private startCommand(sink: ReadingSink): void {
    const p = spawn('/bin/sh', ['-c', this.spec.command!], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = p;
    let carry = '';
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (chunk: string) => {
      carry += chunk;
      if (carry.length > 4096 && !carry.includes('\n')) carry = ''; // one line too long to be a reading
      let i;
      while ((i = carry.indexOf('\n')) >= 0) {
        const line = carry.slice(0, i);
        carry = carry.slice(i + 1);
        const w = parseWattsLine(line);
        const tMs = timelineNow();
        if (w === null) {
          if (line.trim()) this.problem(sink, tMs, `--meter-cmd printed a line that is not watts: ${JSON.stringify(line.slice(0, 60))}`);
          continue;
        }
        this.lastProblem = undefined;
        sink.reading({ deviceId: this.device.id, tMs, powerWatts: w, powerKind: 'instant' });
      }
    });
    p.stderr!.resume();
    p.on('error', (e) => this.problem(sink, timelineNow(), `--meter-cmd could not start: ${e.message}`));
    p.on('close', (code) => {
      if (!this.closed) this.problem(sink, timelineNow(), `--meter-cmd ended (exit ${code}): no more wall readings`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const c = this.child;
    if (c && c.exitCode === null && c.pid) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }
}
