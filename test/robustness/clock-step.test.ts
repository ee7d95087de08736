/**
 * Guarantee: a wall-clock step (an NTP correction, a Jetson without RTC setting its clock after
 * boot) changes no duration and no joule. libfaketime steps genwatt's wall clock while it runs (the
 * monotonic clock and the kernel's file times stay real). On 02294be a step back of 30 s recorded an
 * image as 0.000 s / 0.0 J and left a recording genwatt's own report refused; a step forward of an
 * hour made one image 3601 s / 621 660 J; serve's energy total froze and 1 s images became one batch.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { CLI, GENERATOR, spawnCli, tempDir, waitFor, waitForAsync } from '../helpers/gen.js';
import { fakeClockEnv, stepClock } from '../helpers/faketime.js';
import { scrape, startServe, value } from '../helpers/serve.js';

describe('wall-clock steps', () => {
  it.each([
    ['back 30 s', '-30s'],
    ['forward 1 h', '+1h'],
  ])(
    'run, %s after the second image: every image keeps its seconds and joules; the recording reads back',
    async (_what, offset) => {
      const dir = tempDir('gw-clock-');
      const rec = join(dir, 'r.json');
      const out = join(dir, 'out');
      const clock = join(dir, 'offset');
      const env = { ...process.env, CI: 'true', ...fakeClockEnv(clock) };
      const child = spawn(
        process.execPath,
        [
          CLI,
          'run',
          '--probe',
          'simulated',
          '--idle',
          '0.5',
          '--plain',
          '--record',
          rec,
          '--out',
          out,
          '--',
          process.execPath,
          GENERATOR,
          '--out',
          out,
          '--count',
          '6',
          '--seconds',
          '0.6',
          '--load-seconds',
          '0.2',
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      await waitFor(() => (stdout.match(/^image /gm) ?? []).length >= 2, 30_000);
      stepClock(clock, offset);
      const code = await new Promise((r) => child.on('exit', r));
      expect(code, stderr).toBe(0);
      const doc = (await readSession(rec)).doc;
      const seen = JSON.stringify(doc.rows.map((r) => [r.seconds, r.joules]));
      expect(doc.rows).toHaveLength(6);
      // each image took ~0.6 s at ~180 W (simulated): no 0 s, no hour
      for (const r of doc.rows.slice(1)) {
        expect(r.seconds, seen).toBeGreaterThan(0.3);
        expect(r.seconds, seen).toBeLessThan(5);
        expect(r.joules!, seen).toBeGreaterThan(40);
        expect(r.joules!, seen).toBeLessThan(1000);
      }
      expect(doc.summary.durationSeconds).toBeGreaterThan(0);
      expect(doc.summary.durationSeconds).toBeLessThan(120);
      expect(
        doc.notes.some((n) => /the wall clock stepped (back|forward)/.test(n.message)),
        stderr,
      ).toBe(true);
      // genwatt's own report reads what it wrote
      const r = await spawnCli(['report', rec, '--json']);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).sessions[0].summary.images).toBe(6);
    },
    90_000,
  );

  it('serve, back 30 s while a generator writes an image a second: the energy total keeps rising; the images stay apart', async () => {
    const dir = tempDir('gw-clock-serve-');
    const clock = join(dir, 'offset');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    const out = join(dir, 'out');
    const serve = await startServe(['--probe', 'simulated', '--watch', out, '--idle', '0', '--run-gap', '30', '--interval', '100'], {
      env: { ...env, ...fakeClockEnv(clock) },
    });
    try {
      await waitForAsync(async () => value(await scrape(serve.url), 'genwatt_device_energy_joules_total') !== undefined, 20_000);
      const gen = spawn(process.execPath, [GENERATOR, '--out', out, '--count', '9', '--seconds', '1', '--load-seconds', '0.2'], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      const images = async () => value(await scrape(serve.url), 'genwatt_images_total') ?? 0;
      await waitForAsync(async () => (await images()) >= 2, 30_000);
      const e0 = value(await scrape(serve.url), 'genwatt_device_energy_joules_total')!;
      stepClock(clock, '-30s');
      // three more seconds of a busy GPU, on the stepped clock
      await waitForAsync(async () => (await images()) >= 5, 30_000);
      const e1 = value(await scrape(serve.url), 'genwatt_device_energy_joules_total')!;
      expect(e1 - e0).toBeGreaterThan(2 * 100); // at least two more 1 s images at ~180 W
      await new Promise((r) => gen.on('exit', r));
      await waitForAsync(async () => (await images()) === 9, 30_000);
      const m = await scrape(serve.url);
      // nine 1 s images: one warm-up, eight steady, each its own batch with its own seconds
      expect(value(m, 'genwatt_images_total', { phase: 'steady' })).toBe(8);
      const meanSeconds = value(m, 'genwatt_image_seconds_sum')! / value(m, 'genwatt_image_seconds_count')!;
      expect(meanSeconds, serve.log()).toBeGreaterThan(0.6);
      expect(meanSeconds, serve.log()).toBeLessThan(2);
      expect(serve.log()).toMatch(/the wall clock stepped back by 30\.\d s/);
    } finally {
      await serve.stop('SIGKILL');
    }
  }, 120_000);
});
