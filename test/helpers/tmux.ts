/** tmux as a real terminal for the built CLI: start it at a size, read the screen, wait for text. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { CLI, sleep, tempDir } from './gen.js';

const SOCKET = `genwatt-e2e-${process.pid}`;
export const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

function tmuxMissing(): string | null {
  try {
    execFileSync('tmux', ['-V'], { encoding: 'utf8' });
    return null;
  } catch (err) {
    return `tmux is needed for the terminal test and could not be run: ${(err as Error).message}`;
  }
}

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
});

export interface Started {
  session: string;
  dir: string;
  record: string;
  exitFile: string;
  screen: (escapes?: boolean) => string;
}

/** Starts the CLI in a clean environment (no CI variables) inside a detached tmux session. */
export function start(name: string, cols: number, rows: number, args: string[], env: Record<string, string> = {}): Started {
  const missing = tmuxMissing();
  if (missing) throw new Error(missing);
  const dir = tempDir('gw-e2e-');
  const record = join(dir, 'session.json');
  const exitFile = join(dir, 'exit');
  const envArgs = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', TERM: 'xterm-256color', ...env }).map(
    ([k, v]) => `${k}='${v}'`,
  );
  const rec = args[0] === 'replay' || args.includes('--no-record') || args.includes('--record') ? '' : ` --record '${record}'`;
  const cmd = `env -i ${envArgs.join(' ')} '${process.execPath}' '${CLI}' ${args.join(' ')}${rec}; echo $? > '${exitFile}'; sleep 120`;
  tmux('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), '-c', dir, cmd);
  return { session: name, dir, record, exitFile, screen: (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name) };
}

export async function until(s: Started, re: RegExp, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = s.screen();
    if (re.test(last)) return last;
    await sleep(200);
  }
  throw new Error(`screen never matched ${re}; last screen:\n${last}`);
}

export async function exitCode(s: Started, timeoutMs = 30_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(s.exitFile)) {
      const t = readFileSync(s.exitFile, 'utf8').trim();
      if (t) return Number(t);
    }
    await sleep(100);
  }
  throw new Error(`genwatt did not exit; screen:\n${s.screen()}`);
}
