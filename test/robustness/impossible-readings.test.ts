/**
 * Guarantee: readings the hardware cannot produce never reach an image. A fake nvidia-smi on PATH
 * replays the real H100 capture (700 W limit) with scripted faults: 5000 W for 0.3 s every 2 s,
 * or 0.00 W at 95 % utilization. On 02294be the spikes were integrated (an image at 1354 J, 6.7×)
 * and the zeros gave 0 J images with 100 % coverage. A fake amd-smi renumbers its GPUs when one
 * drops off: readings follow their bus id, never a position.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { FAKE_BIN, GENERATOR, signalWhen, spawnCli, tempDir } from '../helpers/gen.js';

const PATH = `${FAKE_BIN}:${process.env.PATH}`;

describe('impossible readings', () => {
  it.each([
    ['5000 W on a 700 W-limit GPU', 'spike-every:20', /5000\.0 W is more than a 700 W-limit GPU can draw/],
    ['0.00 W at 95 % utilization', 'zero-busy-every:20', /0\.00 W at 95 % utilization is not a real reading/],
  ])(
    '%s: left out as gaps with a note; no image carries it',
    async (_what, mode, said) => {
      const dir = tempDir('gw-impossible-');
      const rec = join(dir, 'r.json');
      const out = join(dir, 'out');
      const r = await spawnCli(
        [
          'run',
          '--probe',
          'nvidia-smi',
          '--idle',
          '0',
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
          '8',
          '--seconds',
          '0.5',
          '--load-seconds',
          '0.2',
        ],
        { PATH, FAKE_NVSMI_MODE: mode },
      );
      expect(r.code, r.err).toBe(0);
      const doc = (await readSession(rec)).doc;
      expect(doc.samples.every((s) => s.powerWatts === undefined || (s.powerWatts <= 1400 && s.powerWatts > 0))).toBe(true);
      // the capture draws 70-500 W: every image with a figure stays within what the GPU can draw,
      // none at 0. An image whose whole window fell in dropped readings (a loaded machine stretches
      // the fake's faults) has unknown energy — a gap, not a zero — and most images have a figure.
      const known = doc.rows.filter((row) => row.watts !== null);
      expect(known.length, JSON.stringify(doc.rows)).toBeGreaterThan(doc.rows.length / 2);
      for (const row of known) {
        expect(row.watts!, JSON.stringify(row)).toBeLessThanOrEqual(1400);
        expect(row.watts!, JSON.stringify(row)).toBeGreaterThan(30);
      }
      for (const row of doc.rows.filter((x) => x.watts === null)) expect(row.joules, JSON.stringify(row)).toBeNull();
      // the faults did come during the run (the fake replays them every 2 s), and were said
      expect(
        doc.notes.some((n) => said.test(n.message)),
        JSON.stringify(doc.notes),
      ).toBe(true);
      expect(doc.gaps.some((g) => said.test(g.reason))).toBe(true);
    },
    60_000,
  );
});

describe('energy counter jumps', () => {
  it.each([
    ['+2000 J', '2000'],
    ['+10⁹ J', '1000000000'],
  ])(
    'a trusted counter jumping %s: the jump is left out of every image, with a note',
    async (_what, joules) => {
      // A fake amd-smi on PATH: the real RX 6600 XT capture (100 W limit, 6 W), its accumulator
      // advancing with that power, then jumping 3 s after the first call.
      const dir = tempDir('gw-jump-');
      const rec = join(dir, 'r.json');
      const out = join(dir, 'out');
      const r = await spawnCli(
        [
          'run',
          '--probe',
          'amd-smi',
          '--idle',
          '0',
          // Each poll spawns the fake tool; 400 ms gives a 2 s gap limit, so a loaded machine's slow
          // spawns still bracket window edges (what is tested is the jump, not the spawn speed).
          '--interval',
          '400',
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
          '10',
          '--seconds',
          '0.5',
          '--load-seconds',
          '0.2',
        ],
        { PATH, FAKE_AMD_MODE: `counter-jump:${joules}`, FAKE_AMD_STATE: join(dir, 'state') },
      );
      expect(r.code, r.err).toBe(0);
      const doc = (await readSession(rec)).doc;
      // the counter was used (it checked out), and no image holds more than 2× the limit allows
      expect(
        doc.rows.some((row) => row.method === 'counter'),
        JSON.stringify(doc.rows),
      ).toBe(true);
      // An image whose window no two close samples span (a loaded machine delays the fake tool) has
      // unknown energy: it carries no jump either. Every known figure is within what the limit allows.
      const known = doc.rows.filter((row) => row.joules !== null);
      expect(known.length, JSON.stringify(doc.rows)).toBeGreaterThan(doc.rows.length / 2);
      for (const row of known) expect(row.joules!, JSON.stringify(row)).toBeLessThanOrEqual(200 * row.seconds + 5);
      expect(
        doc.notes.some((n) => /the energy counter jumped \d+\.\d J in \d+\.\d\d s \(at most \d+\.\d J is possible\): the jump is left out/.test(n.message)),
        JSON.stringify(doc.notes),
      ).toBe(true);
    },
    60_000,
  );
});

describe('a renumbered AMD GPU', () => {
  it("is never charged another GPU's power: after the charged GPU drops off, its images are unknown", async () => {
    // Two GPUs (6 W and 50 W, see the fake's header); the charged one drops off after 4 answers
    // and amd-smi numbers the other 0. On 02294be the run was charged the other GPU's 50 W.
    const dir = tempDir('gw-renumber-');
    const rec = join(dir, 'r.json');
    const out = join(dir, 'out');
    const state = join(dir, 'state');
    const metricCalls = () => (existsSync(state) ? Number(readFileSync(state, 'utf8')) : 0);
    const r = await spawnCli(
      ['run', '--probe', 'amd-smi', '--gpu', '0000:0b:00.0', '--idle', '0', '--plain', '--record', rec, '--out', out, '--'].concat(
        process.execPath,
        GENERATOR,
        '--out',
        out,
        '--count',
        '1000',
        '--seconds',
        '0.4',
        '--load-seconds',
        '0.2',
      ),
      { PATH, FAKE_AMD_MODE: 'renumber:4', FAKE_AMD_STATE: state },
      // stopped once three images were written after two answers past the drop
      (p) => {
        let atDrop: number | undefined;
        const images = () => (existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.png')).length : 0);
        signalWhen(p, () => (atDrop ??= metricCalls() >= 6 ? images() : undefined) !== undefined && images() >= atDrop + 3, 'SIGINT', 90_000);
      },
    );
    expect(r.code === 0 || r.code === 130, r.err).toBe(true);
    const doc = (await readSession(rec)).doc;
    const rows = doc.rows.filter((row) => row.seconds !== null);
    expect(rows.length, r.err).toBeGreaterThan(2);
    // every figure is the charged GPU's 6 W (average power, so a little lag), never the other's 50 W
    for (const row of rows) if (row.joules !== null) expect(row.joules / row.seconds!, JSON.stringify(row)).toBeLessThan(12);
    expect(rows.at(-1)!.joules, JSON.stringify(rows.at(-1))).toBeNull();
    expect(doc.notes.map((n) => n.message).join('\n')).toMatch(/renumbered its GPUs[\s\S]*no longer lists GPU 0000:0b:00\.0/);
  }, 120_000);
});
