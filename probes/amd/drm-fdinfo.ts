/**
 * GPU processes from the kernel's DRM client statistics, as nvtop and amdgpu_top list AMD processes
 * without amd-smi: every open DRM file of a process has `/proc/<pid>/fdinfo/<fd>` with
 * `drm-driver`, `drm-pdev`, `drm-client-id` and `drm-memory-<region>` / `drm-total-<region>` /
 * `drm-resident-<region>` in KiB or MiB (Documentation/gpu/drm-usage-stats.rst); amdgpu before the
 * common keys (5.14–5.18, amdgpu_fdinfo.c) printed `pdev:` and `vram mem: N kB`. Several fds of one
 * client (same pdev and client id) are one client. The root is `$GENWATT_PROC` (default /proc) so
 * tests use a fake tree. Bounded: at most MAX_PROCS processes, MAX_FDS fds each, 8 KiB per fdinfo.
 */
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';

const MAX_PROCS = 8192;
const MAX_FDS = 2048;
const MAX_FDINFO_BYTES = 8192;

export interface DrmClient {
  driver?: string;
  /** PCI address, `0000:03:00.0`. */
  pdev?: string;
  clientId?: string;
  vramBytes?: number;
}

const UNIT: Record<string, number> = { '': 1, kib: 1024, kb: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function bytes(v: string): number | undefined {
  const m = /^(\d{1,19})\s*([KMG]i?B|kB)?$/i.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (UNIT[(m[2] ?? '').toLowerCase()] ?? NaN);
  return Number.isFinite(n) ? n : undefined;
}

/** One fdinfo file's DRM keys (other lines ignored). */
export function parseFdinfo(text: string): DrmClient {
  const c: DrmClient = {};
  let legacyVram: number | undefined;
  let total: number | undefined;
  let resident: number | undefined;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (k === 'drm-driver') c.driver = v;
    else if (k === 'drm-pdev' || k === 'pdev') c.pdev = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(v) ? v.toLowerCase() : undefined;
    else if (k === 'drm-client-id') c.clientId = /^\d{1,20}$/.test(v) ? v : undefined;
    else if (k === 'drm-memory-vram') c.vramBytes = bytes(v);
    else if (k === 'drm-total-vram') total = bytes(v);
    else if (k === 'drm-resident-vram') resident = bytes(v);
    else if (k === 'vram mem') legacyVram = bytes(v);
  }
  c.vramBytes ??= resident ?? total ?? legacyVram;
  if (!c.driver && legacyVram !== undefined && c.pdev) c.driver = 'amdgpu'; // only amdgpu printed those keys
  return c;
}

function readBounded(f: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(f, 'r');
    const buf = Buffer.alloc(MAX_FDINFO_BYTES);
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Per PCI address, per pid: the VRAM of the DRM clients of `driver` each process holds. `pids`:
 * only those processes (the generator's group); undefined: every process genwatt may read.
 */
export function drmProcesses(
  driver: string,
  pids?: ReadonlySet<number>,
  root = process.env.GENWATT_PROC ?? '/proc',
): Map<string, Map<number, number | undefined>> {
  const out = new Map<string, Map<number, number | undefined>>();
  let names: string[];
  try {
    names = pids ? [...pids].map(String) : readdirSync(root).filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const name of names.slice(0, MAX_PROCS)) {
    const pid = Number(name);
    let fds: string[];
    try {
      fds = readdirSync(join(root, name, 'fd'));
    } catch {
      continue; // gone, or another user's: not ours to read
    }
    const seen = new Set<string>();
    for (const fd of fds.slice(0, MAX_FDS)) {
      let target: string;
      try {
        target = readlinkSync(join(root, name, 'fd', fd));
      } catch {
        continue;
      }
      if (!target.startsWith('/dev/dri/')) continue;
      const text = readBounded(join(root, name, 'fdinfo', fd));
      if (!text) continue;
      const c = parseFdinfo(text);
      if (c.driver !== driver || !c.pdev) continue;
      const key = `${c.pdev}/${c.clientId ?? `fd${fd}`}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const byPid = out.get(c.pdev) ?? new Map<number, number | undefined>();
      out.set(c.pdev, byPid);
      const before = byPid.get(pid);
      byPid.set(pid, c.vramBytes === undefined ? before : (before ?? 0) + c.vramBytes);
    }
  }
  return out;
}
