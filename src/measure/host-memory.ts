/**
 * The generator's host memory and the system's swap traffic, from /proc (issue 23): the resident
 * memory of the generator's process tree (its pid and every descendant, through
 * /proc/PID/task/PID/children) and /proc/vmstat's pswpin/pswpout. Read at most once a second during
 * a run; every read is bounded. The root is `$GENWATT_PROC` (default /proc) so tests use a fake tree.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Reading } from '../../probes/types.js';
import { HOST_DEVICE_ID } from '../../probes/host/host-id.js';

/** /proc/PID/status is ~1.5 KB; vmstat ~5 KB on recent kernels. */
const STATUS_MAX_BYTES = 8192;
const VMSTAT_MAX_BYTES = 32768;
const CHILDREN_MAX_BYTES = 65536;
/** A generator with more processes than this is summed over the first ones found (and says so). */
const MAX_PROCESSES = 512;

export const procRoot = (): string => process.env.GENWATT_PROC ?? '/proc';

/** At most `max` bytes of a file as text; null when it cannot be read. */
export function readBounded(path: string, max: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(max);
    let n = 0;
    // /proc files report size 0: read until EOF or the bound
    for (;;) {
      const k = readSync(fd, buf, n, max - n, null);
      if (k <= 0) break;
      n += k;
      if (n >= max) break;
    }
    return buf.toString('latin1', 0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** `Key:   123 kB` from a /proc status text, in bytes. */
export function statusKb(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d{1,15})\\s*kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The pid and its descendants (breadth first, at most MAX_PROCESSES). */
export function processTree(rootPid: number, root = procRoot()): { pids: number[]; truncated: boolean } {
  const pids: number[] = [];
  const seen = new Set<number>();
  const queue = [rootPid];
  while (queue.length && pids.length < MAX_PROCESSES) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    pids.push(pid);
    const kids = readBounded(`${root}/${pid}/task/${pid}/children`, CHILDREN_MAX_BYTES);
    for (const k of kids?.trim().split(/\s+/) ?? []) if (/^\d{1,10}$/.test(k)) queue.push(Number(k));
  }
  return { pids, truncated: queue.length > 0 };
}

/** Resident memory of a process tree, bytes; undefined when not one process could be read. */
export function treeRssBytes(rootPid: number, root = procRoot()): number | undefined {
  let sum: number | undefined;
  for (const pid of processTree(rootPid, root).pids) {
    const status = readBounded(`${root}/${pid}/status`, STATUS_MAX_BYTES);
    const rss = status === null ? undefined : statusKb(status, 'VmRSS');
    if (rss !== undefined) sum = (sum ?? 0) + rss;
  }
  return sum;
}

/** pswpin / pswpout (pages since boot) from /proc/vmstat. */
export function swapPages(text: string): { in?: number; out?: number } {
  const get = (k: string) => {
    const m = new RegExp(`^${k} (\\d{1,20})$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return { in: get('pswpin'), out: get('pswpout') };
}

/** The kernel's page size, from this process's own RSS in kB and in pages; 4096 when unknown. */
export function pageSizeBytes(root = procRoot()): number {
  const status = readBounded(`${root}/self/status`, STATUS_MAX_BYTES);
  const statm = readBounded(`${root}/self/statm`, 256);
  const rss = status === null ? undefined : statusKb(status, 'VmRSS');
  const pages = statm === null ? NaN : Number(statm.trim().split(/\s+/)[1]);
  if (rss === undefined || !(pages > 0)) return 4096;
  // Round to a power of two (RSS in kB and in pages are read a moment apart).
  return 2 ** Math.round(Math.log2(rss / pages));
}

/** Reads the generator's memory and the swap counters as one host reading. */
export class HostMemoryReader {
  private readonly pageBytes: number;

  constructor(private readonly root = procRoot()) {
    this.pageBytes = pageSizeBytes(root);
  }

  read(generatorPid: number | undefined, tMs: number): Reading | null {
    const r: Reading = { deviceId: HOST_DEVICE_ID, tMs };
    if (generatorPid !== undefined) {
      const rss = treeRssBytes(generatorPid, this.root);
      if (rss !== undefined) r.generatorRssBytes = rss;
    }
    const vm = readBounded(`${this.root}/vmstat`, VMSTAT_MAX_BYTES);
    if (vm !== null) {
      const s = swapPages(vm);
      if (s.in !== undefined) r.swapInBytes = s.in * this.pageBytes;
      if (s.out !== undefined) r.swapOutBytes = s.out * this.pageBytes;
    }
    return r.generatorRssBytes === undefined && r.swapInBytes === undefined && r.swapOutBytes === undefined ? null : r;
  }
}
