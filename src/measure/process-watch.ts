/**
 * Which processes use each GPU, as the vendor interface lists them (NVML's compute and graphics
 * processes, the simulated GPU's generator), read every `everyMs` while someone needs it: the
 * dashboard's process panel, and a run (the generator's own GPU memory, and the GPUs it runs on).
 * Commands come from /proc (bounded, secrets redacted); a process is the generator's when it is in the generator's process group
 * (the run controller starts it in a group of its own). A GPU whose interface gives no list is null;
 * a look that failed (an NVML error) keeps the previous list and is reported as failed, never as null.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { GpuProcess, Probe, Reading } from '../../probes/types.js';
import { makeRedactor } from '../session/redact.js';
import { timelineNow } from '../../probes/timeline.js';

/** Fastest pace of looks for short images (a look is one NVML call per GPU plus /proc reads per process). */
const MIN_LOOK_MS = 250;

/** A command line can be megabytes; the panel shows one line of it. */
const CMDLINE_MAX_BYTES = 4096;
const redactor = makeRedactor();

/** One look at the process lists: the GPUs the generator is on, each GPU's list (null: none), the GPUs whose look failed. */
export type ProcessLookHandler = (generatorDevices: Set<string>, lists: Map<string, ListedProcess[] | null>, failed: ReadonlySet<string>) => void;

export interface ListedProcess extends GpuProcess {
  name: string | null;
  generator: boolean;
}

/** /proc/PID/stat: the process group (field 5), after the command name in parentheses. */
export function processGroupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    return Number.isInteger(pgrp) ? pgrp : null;
  } catch {
    return null;
  }
}

/** The command as nvitop shows it (program name, then its arguments, secrets redacted); else /proc's short name. */
export function commandOf(pid: number): string | null {
  try {
    const fd = openSync(`/proc/${pid}/cmdline`, 'r');
    const buf = Buffer.alloc(CMDLINE_MAX_BYTES);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    const argv = buf
      .toString('utf8', 0, n)
      .split('\0')
      .filter((a, i, all) => a !== '' || i < all.length - 1);
    if (argv.length && argv[0]) return redactor.argv([basename(argv[0]), ...argv.slice(1)]).join(' ');
  } catch {
    // gone, or not ours to read: fall back to the short name
  }
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export interface ProcessWatchOptions {
  everyMs: number;
  /** The generator's process group (its pid), when a command runs. */
  generatorGroup: () => number | undefined;
  /** The generator's GPU memory on a device, as a reading (recorded like any metric). */
  reading?: (r: Reading) => void;
  /**
   * Every look: the devices the generator's processes were seen on, the lists, and the devices whose
   * look failed this time (their previous list is kept: a failed look is not "no process list").
   */
  onLook?: ProcessLookHandler;
  /** A look that failed as a whole (said once per distinct message). */
  onError?: (err: Error) => void;
}

export class ProcessWatch {
  /** The latest list per device id (null: not listable). */
  readonly latest = new Map<string, ListedProcess[] | null>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private users = 0;
  private everyMs: number;
  private lastLookMs = -Infinity;

  constructor(
    private readonly probes: readonly Probe[],
    private readonly deviceIdsOf: (p: Probe) => string[],
    private readonly o: ProcessWatchOptions,
  ) {
    this.everyMs = o.everyMs;
  }

  /** True when some probe can list processes. */
  get available(): boolean {
    return this.probes.some((p) => typeof p.processes === 'function');
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    // A new pace starts from the last look, not from now: no gap longer than either period.
    if (timelineNow() - this.lastLookMs >= this.everyMs) this.look().catch((err: unknown) => this.failed(err as Error));
    this.timer = setInterval(() => {
      this.look().catch((err: unknown) => this.failed(err as Error));
    }, this.everyMs);
    this.timer.unref?.();
  }

  /** Someone needs the lists (counted: the panel and a run may both). */
  acquire(): void {
    if (this.users++ === 0 && this.available) this.schedule();
  }

  /**
   * Images of `secondsPerImage`: look about three times per image (never more often than every
   * {@link MIN_LOOK_MS}, never less than the base period), so each image's window holds a look at the
   * generator's memory (its `gen pk`); 0 (no image yet) looks fastest; a change under 20 % keeps the
   * timer as it is.
   */
  paceFor(secondsPerImage: number): void {
    // Unknown (0: no image yet): as fast as allowed, until images say otherwise.
    const want = Math.round(Math.min(this.o.everyMs, Math.max(MIN_LOOK_MS, (secondsPerImage * 1000) / 3)));
    if (Math.abs(want - this.everyMs) < 0.2 * this.everyMs) return;
    this.everyMs = want;
    if (this.timer) this.schedule();
  }

  /** The current period between looks, ms. */
  get periodMs(): number {
    return this.everyMs;
  }

  private lastError: string | undefined;

  private failed(err: Error): void {
    if (err.message === this.lastError) return;
    this.lastError = err.message;
    this.o.onError?.(err);
  }

  release(): void {
    if (this.users > 0 && --this.users === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One look at every GPU's processes. */
  async look(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const group = this.o.generatorGroup();
      const tMs = timelineNow();
      this.lastLookMs = tMs;
      const onGenerator = new Set<string>();
      const failed = new Set<string>();
      for (const p of this.probes) {
        const ids = this.deviceIdsOf(p);
        let lists: Map<string, import('../../probes/types.js').GpuProcess[]> | null = null;
        try {
          lists = typeof p.processes === 'function' ? await p.processes() : null;
        } catch (err) {
          for (const id of ids) failed.add(id);
          this.failed(err as Error);
          continue;
        }
        for (const id of ids) {
          const raw = lists?.get(id);
          if (!raw) {
            this.latest.set(id, null);
            continue;
          }
          const listed = raw.map((x) => ({
            ...x,
            name: commandOf(x.pid),
            generator: group !== undefined && (x.pid === group || processGroupOf(x.pid) === group),
          }));
          this.latest.set(id, listed);
          const mine = listed.filter((x) => x.generator);
          if (mine.length) onGenerator.add(id);
          const known = mine.filter((x) => x.usedBytes !== undefined);
          if (known.length && this.o.reading) this.o.reading({ deviceId: id, tMs, processVramBytes: known.reduce((a, x) => a + x.usedBytes!, 0) });
        }
      }
      if (failed.size === 0) this.lastError = undefined;
      this.o.onLook?.(onGenerator, this.latest, failed);
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.users = 0;
  }
}
