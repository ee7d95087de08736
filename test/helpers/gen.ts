/** Paths and helpers shared by tests that run real processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const GENERATOR = join(ROOT, 'fixtures/demo-generator.mjs');
export const CLI = join(ROOT, 'dist/src/cli.js');
export const FAKE_BIN = join(ROOT, 'test/fakes/bin');

export function tempDir(prefix = 'gw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds or the time is up. */
export async function waitFor(cond: () => boolean, timeoutMs = 15000, stepMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(stepMs);
  }
}

/** Like waitFor, for a condition that must be awaited (an HTTP scrape). */
export async function waitForAsync(cond: () => Promise<boolean>, timeoutMs = 15000, stepMs = 150): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(stepMs);
  }
}

/**
 * Signals `p` (after `delayMs`) once `cond` holds. If it never holds within `timeoutMs`, `p` is
 * killed with SIGKILL instead, so the test fails on the exit code rather than hanging.
 */
export function signalWhen(p: ChildProcess, cond: () => boolean, signal: NodeJS.Signals, timeoutMs: number, delayMs = 0, stepMs = 50): void {
  waitFor(cond, timeoutMs, stepMs).then(
    () => setTimeout(() => p.kill(signal), delayMs),
    () => p.kill('SIGKILL'),
  );
}

/** A loopback port nothing listens on (free until someone takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs the built CLI as a real process (CI=true: plain output); `onStart` gets the child, e.g. to signal it. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  onStart?: (p: ChildProcess) => void,
  cwd?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (c) => (out += c));
  p.stderr!.on('data', (c) => (err += c));
  onStart?.(p);
  return new Promise((r) => p.once('exit', (code) => r({ code, out, err })));
}

/** genwatt run in a folder of its own (cwd matters: ./genwatt-sessions, ./genwatt.config.json). */
export const spawnCliIn = (cwd: string, args: string[]) => spawnCli(args, {}, undefined, cwd);

/** Runs the demo generator into `dir` (the simulated GPU follows it through `env`). */
export function generate(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<number | null> {
  const p = spawn(process.execPath, [GENERATOR, '--out', dir, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  return new Promise((r) => p.once('exit', r));
}
