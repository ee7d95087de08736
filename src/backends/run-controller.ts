/**
 * Runs the generation command: execa, no shell, argv as given, in a process group of its own — so
 * Stop reaches what actually runs on the GPU, not only a wrapper (`sh -c`, `accelerate launch`,
 * `python launch.py`): SIGTERM to the whole group, SIGKILL after the grace period. Streams its output
 * lines, and says how it ended. The end is the command's exit, never the closing of a pipe that an
 * orphan still holds; whatever is left of the group when the command exits is stopped too, and
 * nothing of it outlives genwatt.
 */
import type { ChildExit } from '../session/types.js';
import { childEnvOverrides } from './borrowed-env.js';

export interface ChildOptions {
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Kill after this long (ms); 0 or undefined = no limit. */
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL. Default 10 000 ms. */
  killAfterMs?: number;
}

export interface RunningChild {
  pid: number | undefined;
  done: Promise<ChildExit>;
  /** Stop it: SIGTERM to its process group, then SIGKILL after the grace period. */
  stop(): void;
  /** SIGKILL to its process group now (the user will not wait for the grace period). */
  kill(): void;
}

/** How long output may keep flowing after the command exited before genwatt stops reading it. */
const PIPE_GRACE_MS = 1000;

/** Exit status genwatt itself should use for a child's ending (127 not found, 126 not executable). */
export function exitCodeFor(exit: ChildExit): number {
  switch (exit.reason) {
    case 'exited':
    case 'stopped':
      return 0;
    case 'not-found':
      return 127;
    case 'not-executable':
      return 126;
    case 'timeout':
      return 124;
    case 'failed':
      return exit.code !== null && exit.code > 0 && exit.code < 126 ? exit.code : 1;
  }
}

/** Process groups genwatt started that must not outlive it (SIGKILLed on exit). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function signalGroup(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
  });
}

/** Splits a stream into lines (a line longer than 64 KiB is passed on in pieces). */
function lines(s: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!s) return;
  s.setEncoding('utf8');
  let rest = '';
  s.on('data', (chunk: string) => {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      onLine(rest.slice(0, nl).replace(/\r$/, ''));
      rest = rest.slice(nl + 1);
    }
    if (rest.length > 64 * 1024) {
      onLine(rest);
      rest = '';
    }
  });
  s.on('end', () => {
    if (rest) onLine(rest);
    rest = '';
  });
}

export async function startChild(argv: readonly string[], opts: ChildOptions = {}): Promise<RunningChild> {
  if (argv.length === 0) throw new Error('no command given');
  const { execa } = await import('execa');
  const killAfterMs = opts.killAfterMs ?? 10000;
  let stoppedByUs = false;
  let timedOut = false;
  const child = execa(argv[0], argv.slice(1), {
    cwd: opts.cwd,
    // A generator started while the dashboard loads React must not inherit the borrowed NODE_ENV.
    env: { ...childEnvOverrides(), ...opts.env },
    extendEnv: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    // Its own process group (and session): stop signals go to everything it started.
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    installExitHook();
  }
  for (const stream of ['stdout', 'stderr'] as const) lines(child[stream], (l) => opts.onLine?.(stream, l));
  const timers: NodeJS.Timeout[] = [];
  const stop = () => {
    if (pid === undefined || stoppedByUs) return;
    stoppedByUs = true;
    signalGroup(pid, 'SIGTERM');
    const t = setTimeout(() => signalGroup(pid, 'SIGKILL'), killAfterMs);
    t.unref();
    timers.push(t);
  };
  if (opts.timeoutMs && opts.timeoutMs > 0) {
    const t = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    t.unref();
    timers.push(t);
  }
  const ended = (code: number | null, signal: string | null): ChildExit => {
    if (timedOut) return { code, signal, reason: 'timeout', message: 'stopped after the --timeout limit' };
    if (stoppedByUs) return { code, signal, reason: 'stopped', message: `stopped by genwatt${signal ? ` (${signal})` : ''}` };
    if (code === 0) return { code, signal, reason: 'exited' };
    return { code, signal, reason: 'failed', message: signal ? `command was killed by ${signal}` : `command failed with exit code ${code}` };
  };
  const done = new Promise<ChildExit>((resolve) => {
    let settled = false;
    const settle = (e: ChildExit) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      resolve(e);
    };
    // Could not start at all: execa says why.
    child.then(
      (r) => {
        const errCode = (r.cause as NodeJS.ErrnoException | undefined)?.code ?? ('code' in r && typeof r.code === 'string' ? r.code : undefined);
        if (errCode === 'ENOENT' || (r.failed && r.exitCode === undefined && /ENOENT/.test(r.message ?? '')))
          settle({ code: null, signal: null, reason: 'not-found', message: `command not found: ${argv[0]}` });
        else if (errCode === 'EACCES' || (r.failed && r.exitCode === undefined && /EACCES/.test(r.message ?? '')))
          settle({ code: null, signal: null, reason: 'not-executable', message: `command is not executable (permission denied): ${argv[0]}` });
        else settle(ended(typeof r.exitCode === 'number' ? r.exitCode : null, r.signal ?? null));
      },
      (err: unknown) => settle({ code: null, signal: null, reason: 'not-found', message: `command could not be started: ${(err as Error).message}` }),
    );
    child.once('exit', (code, signal) => {
      // What the command started and left behind is stopped with it; its output may drain a moment.
      if (pid !== undefined && signalGroup(pid, 0)) {
        signalGroup(pid, 'SIGTERM');
        setTimeout(() => signalGroup(pid, 'SIGKILL'), killAfterMs).unref();
      }
      const finish = () => {
        if (pid !== undefined && !signalGroup(pid, 0)) liveGroups.delete(pid);
        settle(ended(code, signal));
      };
      const grace = setTimeout(() => {
        // An orphan still holds the pipes: stop reading rather than wait for it.
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, PIPE_GRACE_MS);
      grace.unref();
      child.once('close', () => {
        clearTimeout(grace);
        finish();
      });
    });
  });
  const kill = () => {
    if (pid === undefined) return;
    stoppedByUs = true;
    signalGroup(pid, 'SIGKILL');
  };
  return { pid, done, stop, kill };
}
