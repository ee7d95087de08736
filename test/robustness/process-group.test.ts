/**
 * Guarantee: the generator is stopped as a process group. `genwatt run -- sh -c "node gen …"` (a
 * wrapper, as `accelerate launch` or `python launch.py` are): on ffcd592 Stop, --count, --timeout,
 * SIGINT or SIGHUP sent SIGTERM to `sh` alone, the real generator kept running (it wrote all its
 * images) and genwatt waited 16–18 s for it to let go of the stdout pipe. Checked with `ps`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, GENERATOR, tempDir, waitFor } from '../helpers/gen.js';
import { processes } from '../helpers/proc.js';

/** genwatt running a generator behind `sh -c`, the generator tagged with a marker `ps` can find. */
function wrapped(extra: string[], marker: string) {
  const dir = tempDir('gw-pg-');
  const out = join(dir, 'out');
  const inner = `exec_marker=${marker} ${JSON.stringify(process.execPath)} ${JSON.stringify(GENERATOR)} --out ${JSON.stringify(out)} --count 1000 --seconds 0.2 --load-seconds 0.1 --tag ${marker}`;
  // `sh -c "A; B"` keeps sh as the parent of the generator (no exec): the wrapper case.
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--probe',
      'simulated',
      '--interval',
      '50',
      '--idle',
      '0',
      '--plain',
      '--no-record',
      '--kill-after',
      '2',
      '--out',
      out,
      ...extra,
      '--',
      'sh',
      '-c',
      `${inner}; echo done`,
    ],
    { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr = (stderr + String(c)).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const written = () => (existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.png')).length : 0);
  return { child, exited, images: () => (stdout.match(/^image /gm) ?? []).length, written, stderr: () => stderr };
}

const alive = (marker: string) => processes().filter((p) => p.args.includes(marker));

describe('the generator as a process group', () => {
  it.each([
    ['SIGINT', [] as string[]],
    ['SIGHUP', [] as string[]],
    ['--count', ['--count', '3']],
    ['--timeout', ['--timeout', '3']],
  ])(
    '%s: the real generator behind sh -c is stopped; genwatt exits promptly; nothing of the group is left',
    async (how, extra) => {
      const marker = `gw-marker-${randomUUID()}`;
      const w = wrapped(extra, marker);
      // A cold start (the first CLI of a test file, on a loaded machine) can be slow: wait on the
      // image lines themselves, and say what genwatt printed if they never come.
      await waitFor(() => w.images() >= 2, 60_000).catch(() => {
        throw new Error(`genwatt printed ${w.images()} image lines in 60 s (${w.written()} files written); its stderr:\n${w.stderr()}`);
      });
      const t0 = Date.now();
      if (how.startsWith('SIG')) {
        expect(alive(marker).length).toBeGreaterThanOrEqual(1);
        w.child.kill(how as NodeJS.Signals);
      }
      await w.exited;
      // The bug took 16–18 s (waiting for the orphan to let go of the pipe); a stop takes at most the
      // 2 s kill-after plus start-up: the bound tells the two apart with room for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(how === '--timeout' ? 12000 : 8000);
      const files = w.written();
      // Whatever is left of the group is gone (at most being reaped), and wrote nothing meanwhile:
      // a generator that survived would keep writing an image every 0.2 s.
      await waitFor(() => alive(marker).length === 0, 5000).catch(() => undefined);
      expect(alive(marker)).toEqual([]);
      expect(w.written()).toBe(files); // nothing kept generating after genwatt ended
      // stopped before it wrote its 1000 images (200 s: longer than the 60 s the first lines may take under load)
      expect(files).toBeLessThan(1000);
    },
    120_000,
  );
});
