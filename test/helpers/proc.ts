/** What the kernel says about a real process (Linux /proc), and the processes running now. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Peak resident memory so far (VmHWM), MiB; undefined once the process is gone. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Command lines of every running process (ps). */
export function processes(): { pid: number; pgid: number; args: string }[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[3] }));
}

/** Follows a process's peak RSS until it exits (the last value read before it is gone). */
export function trackPeak(pid: number, everyMs = 100): { stop(): number } {
  let peak = 0;
  const t = setInterval(() => {
    const p = peakRssMiB(pid);
    if (p !== undefined) peak = Math.max(peak, p);
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      const p = peakRssMiB(pid);
      if (p !== undefined) peak = Math.max(peak, p);
      return peak;
    },
  };
}
