/**
 * Runs the generation command: execa, no shell, argv as given. Streams its output lines, stops it
 * on request (SIGTERM, then SIGKILL after a delay) or on timeout, and says how it ended.
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
  /** Grace between SIGTERM and SIGKILL. Default 5000 ms. */
  killAfterMs?: number;
}

export interface RunningChild {
  pid: number | undefined;
  done: Promise<ChildExit>;
  /** Stop it: SIGTERM, then SIGKILL after the grace period. */
  stop(): void;
}

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

export async function startChild(argv: readonly string[], opts: ChildOptions = {}): Promise<RunningChild> {
  if (argv.length === 0) throw new Error('no command given');
  const { execa } = await import('execa');
  const controller = new AbortController();
  let stoppedByUs = false;
  const child = execa(argv[0], argv.slice(1), {
    cwd: opts.cwd,
    // A generator started while the dashboard loads React must not inherit the borrowed NODE_ENV.
    env: { ...childEnvOverrides(), ...opts.env },
    extendEnv: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cancelSignal: controller.signal,
    forceKillAfterDelay: opts.killAfterMs ?? 5000,
    timeout: opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : undefined,
    killSignal: 'SIGTERM',
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    const s = child[stream];
    if (!s) continue;
    s.setEncoding('utf8');
    let rest = '';
    s.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        opts.onLine?.(stream, rest.slice(0, nl).replace(/\r$/, ''));
        rest = rest.slice(nl + 1);
      }
      if (rest.length > 64 * 1024) {
        opts.onLine?.(stream, rest);
        rest = '';
      }
    });
    s.on('end', () => {
      if (rest) opts.onLine?.(stream, rest);
      rest = '';
    });
  }
  const done = child.then((r): ChildExit => {
    const code = typeof r.exitCode === 'number' ? r.exitCode : null;
    const signal = r.signal ?? null;
    const errCode = (r.cause as NodeJS.ErrnoException | undefined)?.code ?? (r as unknown as { code?: string }).code;
    if (errCode === 'ENOENT' || (r.failed && /ENOENT/.test(r.message ?? ''))) return { code: null, signal: null, reason: 'not-found', message: `command not found: ${argv[0]}` };
    if (errCode === 'EACCES' || (r.failed && /EACCES/.test(r.message ?? ''))) return { code: null, signal: null, reason: 'not-executable', message: `command is not executable (permission denied): ${argv[0]}` };
    if (r.timedOut) return { code, signal, reason: 'timeout', message: `stopped after the --timeout limit` };
    if (stoppedByUs || r.isCanceled) return { code, signal, reason: 'stopped', message: `stopped by genwatt${signal ? ` (${signal})` : ''}` };
    if (code === 0) return { code, signal, reason: 'exited' };
    return { code, signal, reason: 'failed', message: signal ? `command was killed by ${signal}` : `command failed with exit code ${code}` };
  });
  return {
    pid: child.pid,
    done,
    stop() {
      stoppedByUs = true;
      controller.abort();
    },
  };
}
