/**
 * Guarantee: recording paths are checked before anything starts. On ffcd592 `--record
 * /proc/nope/x.json` spun at 96 % CPU for over 10 minutes ignoring SIGTERM (Node's recursive mkdir
 * loops on it), and `serve --record-dir FILE` started and failed later.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATOR, spawnCli, tempDir } from '../helpers/gen.js';

describe('recording paths', () => {
  it('an impossible --record path: exit 2 at once with the path and the reason; nothing runs', async () => {
    const out = tempDir();
    const t0 = Date.now();
    const r = await spawnCli([
      'run',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--record',
      '/proc/nope/x.json',
      '--out',
      out,
      '--',
      process.execPath,
      GENERATOR,
      '--out',
      out,
      '--count',
      '2',
    ]);
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--record: cannot record to \/proc\/nope: cannot make folders in \/proc/);
    expect(r.out).not.toMatch(/image /);
  });

  it('a file where a folder must be, and a folder given as the file: exit 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain'), 'x');
    const a = await spawnCli(['run', '--probe', 'simulated', '--record', join(dir, 'plain', 'x.json'), '--out', dir, '--', 'true']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/plain is a file, not a folder/);
    const b = await spawnCli(['monitor', '--probe', 'simulated', '--record', dir]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/it is a folder: give a file name/);
  });

  it('serve --record-dir FILE is refused at start', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'x');
    const r = await spawnCli(['serve', '--probe', 'simulated', '--listen', '127.0.0.1:0', '--record-dir', join(dir, 'f')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--record-dir: cannot record to .*f: .*f is a file, not a folder/);
  });
});
