/**
 * The built CLI in a real terminal: tmux runs `genwatt demo`, the test reads the screen with
 * capture-pane, presses q, and checks the recording. tmux is required (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { CLI, sleep, tempDir } from '../helpers/gen.js';

const SOCKET = `genwatt-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

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

interface Started {
  session: string;
  dir: string;
  record: string;
  exitFile: string;
  screen: (escapes?: boolean) => string;
}

/** Starts the CLI in a clean environment (no CI variables) inside a detached tmux session. */
function start(name: string, cols: number, rows: number, args: string[], env: Record<string, string> = {}): Started {
  const missing = tmuxMissing();
  if (missing) throw new Error(missing);
  const dir = tempDir('gw-e2e-');
  const record = join(dir, 'session.json');
  const exitFile = join(dir, 'exit');
  const envArgs = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}='${v}'`);
  const cmd = `env -i ${envArgs.join(' ')} '${process.execPath}' '${CLI}' ${args.join(' ')} --record '${record}'; echo $? > '${exitFile}'; sleep 120`;
  tmux('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), '-c', dir, cmd);
  return { session: name, dir, record, exitFile, screen: (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name) };
}

async function until(s: Started, re: RegExp, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = s.screen();
    if (re.test(last)) return last;
    await sleep(200);
  }
  throw new Error(`screen never matched ${re}; last screen:\n${last}`);
}

async function exitCode(s: Started, timeoutMs = 15000): Promise<number> {
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

describe('dashboard in a real terminal (tmux)', () => {
  it('80×24: sparkline, power in W, VRAM, image rows; q exits and the session file is complete', async () => {
    const s = start('small', 80, 24, ['demo', '--images', '6']);
    const screen = await until(s, /run finished: 6 images/, 40000);
    const lines = screen.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(screen).toMatch(/power \d+(\.\d)? W instant/);
    expect(screen).toMatch(/VRAM \d+\.\d+\/24\.0 GiB/);
    expect(screen).toMatch(/[⣀-⣿▁-█]/u); // braille chart or block sparkline characters
    expect(screen).toMatch(/00005-\d+\.png/);
    expect(screen).toMatch(/warm-up/);
    const withEscapes = s.screen(true);
    expect(withEscapes).toMatch(/\x1b\[(3[0-7]|9[0-7]|38;5;)/); // colors in a colour terminal
    tmux('send-keys', '-t', s.session, 'q');
    expect(await exitCode(s)).toBe(0);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.rows).toHaveLength(6);
    // After the alternate screen closes, the summary stays in the terminal.
    expect(s.screen()).toMatch(/J\/image +mean [\d.]+ J/);
  });

  it('200×50 with NO_COLOR and a C locale: no colors, ASCII only; q during the run stops it and still finishes the recording', async () => {
    const s = start('big', 200, 50, ['demo', '--images', '40'], { NO_COLOR: '1', LANG: 'C' });
    const screen = await until(s, /00001-\d+\.png/, 40000);
    expect(/^[\x20-\x7e\n]*$/.test(screen)).toBe(true);
    expect(screen).toMatch(/[_.\-=+*#@]{5,}/); // ASCII chart
    expect(screen.split('\n').some((l) => l.length > 150)).toBe(true); // uses the width
    expect(s.screen(true)).not.toMatch(/\x1b\[(3[0-7]|9[0-7]|38;5;)/);
    tmux('send-keys', '-t', s.session, 'q');
    expect(await exitCode(s)).toBe(130);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.run.endReason).toBe('interrupted');
  });

  it('TERM=dumb keeps the plain line output even in a terminal', async () => {
    const s = start('dumb', 100, 30, ['demo', '--images', '3', '--idle', '0.5'], { TERM: 'dumb' });
    expect(await exitCode(s, 30000)).toBe(0);
    const screen = s.screen();
    expect(screen).toMatch(/image 3 {2}00002-\d+\.png/);
    expect(screen).not.toMatch(/q quit/);
  });

  it('a dropped connection (the terminal closes: SIGHUP) stops the run and finishes the recording', async () => {
    const s = start('hup', 80, 24, ['demo', '--images', '40']);
    await until(s, /00001-\d+\.png/, 40000);
    tmux('kill-session', '-t', s.session);
    const end = Date.now() + 15000;
    while (!existsSync(s.record) && Date.now() < end) await sleep(100);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.run.endReason).toBe('interrupted');
    expect(loaded.doc.run.exit?.reason).toBe('stopped');
  });
});
