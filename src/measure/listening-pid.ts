/**
 * The process behind a local server (ComfyUI, Forge) by the port it listens on, as `ss -ltnp` finds
 * it: the LISTEN socket's inode in /proc/net/tcp and tcp6, then the process holding a descriptor
 * `socket:[inode]`. Used once a run starts, so the server's host memory is measured as a command's is;
 * a server on another machine, or one whose descriptors this user may not read, gives null (n/a).
 */
import { readdir, readlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { procRoot, readBounded } from './host-memory.js';

/** /proc/net/tcp holds a line per socket (~150 bytes); a busy server has thousands. */
const NET_MAX_BYTES = 8 * 2 ** 20;
/** Descriptors looked at in all, at most (a look never takes long, whatever runs here). */
const MAX_FDS = 200_000;

/** Inodes of sockets listening on `port` (state 0A), from a /proc/net/tcp text. */
export function listeningInodes(text: string, port: number): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const p = Number.parseInt(f[1].split(':')[1] ?? '', 16);
    if (p === port && /^\d{1,20}$/.test(f[9]) && f[9] !== '0') out.push(f[9]);
  }
  return out;
}

/** Whether a URL's host is this machine (loopback, its own addresses or name). */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '0.0.0.0' || h === '::' || h === '::1' || h.startsWith('127.')) return true;
  if (!isIP(h)) return false;
  return Object.values(networkInterfaces()).some((l) => l?.some((a) => a.address.toLowerCase() === h));
}

/** The pid listening on `port` here, or null (none, or not ours to see). Asynchronous: the look never holds the sampler up. */
export async function listeningPid(port: number, root = procRoot()): Promise<number | null> {
  const inodes = new Set<string>();
  for (const f of ['net/tcp', 'net/tcp6']) for (const i of listeningInodes(readBounded(`${root}/${f}`, NET_MAX_BYTES) ?? '', port)) inodes.add(i);
  if (!inodes.size) return null;
  const targets = new Set([...inodes].map((i) => `socket:[${i}]`));
  let looked = 0;
  let pids: string[];
  try {
    pids = (await readdir(root)).filter((d) => /^\d{1,10}$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`${root}/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      if (++looked > MAX_FDS) return null;
      try {
        if (targets.has(await readlink(`${root}/${pid}/fd/${fd}`))) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

/** The local server process behind a backend URL, or null. */
export async function serverPid(url: string, root = procRoot()): Promise<number | null> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!isLocalHost(u.hostname)) return null;
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return listeningPid(port, root);
}
