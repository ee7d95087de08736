/**
 * Guarantee: recording paths are checked before anything starts. On ffcd592 `--record
 * /proc/nope/x.json` spun at 96 % CPU for over 10 minutes ignoring SIGTERM (Node's recursive mkdir
 * loops on it), and `serve --record-dir FILE` started and failed later.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATOR, spawnCli, tempDir, waitFor } from '../helpers/gen.js';
import { readSession } from '../../src/session/reader.js';

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

  it('the record folder deleted during a run: made again, the recording finished whole, and the session says so', async () => {
    const dir = tempDir('gw-recdel-');
    const recDir = join(dir, 'recordings');
    const rec = join(recDir, 'r.json');
    const out = join(dir, 'out');
    const r = await spawnCli(
      [
        'run',
        '--probe',
        'simulated',
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
        '0.4',
        '--load-seconds',
        '0.1',
      ],
      {},
      (p) => {
        // once two images are in the journal, the whole folder goes
        p.stdout!.on('data', () => undefined);
        const journal = join(recDir, 'r.jsonl');
        waitFor(() => existsSync(journal) && (readFileSync(journal, 'utf8').match(/"type":"batch"/g) ?? []).length >= 2, 30_000).then(
          () => rmSync(recDir, { recursive: true, force: true }),
          () => p.kill('SIGKILL'),
        );
      },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/was removed during the session: .* was made again and the journal restored from the open file; nothing was lost/);
    const doc = (await readSession(rec)).doc;
    expect(doc.rows).toHaveLength(8);
    expect(doc.rows[0].warmup).toBe(true); // the images from before the removal are there
  }, 60_000);
});
