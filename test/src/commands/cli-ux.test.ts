/** A CLI that feels finished (issue 24 items 13, 15): a typo gets a suggestion, a busy port a sentence, report a default. */
import { copyFileSync, mkdirSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textWidth } from '../../../src/text/text-width.js';
import { ROOT, spawnCli, spawnCliIn, tempDir } from '../../helpers/gen.js';

describe('a CLI that feels finished', () => {
  it('a mistyped command gets "did you mean" (exit 2); a word like no command gets none', async () => {
    const r = await spawnCli(['moniter']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('did you mean `genwatt monitor`?');
    const far = await spawnCli(['zzzzzz']);
    expect(far.code).toBe(2);
    expect(far.err).not.toContain('did you mean');
  });

  it('genwatt report with no file reports the newest session in ./genwatt-sessions, and says which; none there: exit 2 saying so', async () => {
    const dir = tempDir('gw-newest-');
    const none = await spawnCliIn(dir, ['report']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no session given, and none in ./genwatt-sessions');
    mkdirSync(join(dir, 'genwatt-sessions'));
    const older = join(dir, 'genwatt-sessions', 'older.json');
    const newer = join(dir, 'genwatt-sessions', 'newer.json');
    copyFileSync(join(ROOT, 'fixtures/sessions/demo-8.json'), newer);
    copyFileSync(join(ROOT, 'fixtures/sessions/demo-8.json'), older);
    utimesSync(older, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const r = await spawnCliIn(dir, ['report']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`the newest session in ./genwatt-sessions: ${newer}`);
    expect(r.out).toContain(`== ${newer}`);
    expect(r.out).not.toContain('older.json');
  }, 30_000);

  it('report: summaries first, per-image tables on request (--images), every line within --width, what was left out named', async () => {
    const files = ['demo-8.json', 'demo-killed.jsonl', 'h100-nvml-turbo.json'].map((f) => join(ROOT, 'fixtures/sessions', f));
    const narrow = await spawnCli(['report', ...files, '--width', '80']);
    expect(narrow.code, narrow.err).toBe(0);
    const lines = narrow.out.split('\n');
    for (const l of lines) expect(textWidth(l), l).toBeLessThanOrEqual(80);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/^== configurations/)).toBe(0);
    expect(at(/^== comparison/)).toBeGreaterThan(0);
    expect(at(/^== .*demo-8\.json/)).toBeGreaterThan(at(/^== comparison/));
    expect(narrow.out).not.toMatch(/00003-1003\.png/); // no per-image rows
    expect(narrow.out).toContain('(per-image tables: add --images)');
    expect(narrow.out).toMatch(/\(left out at 80 columns: [^)]*Wh\/1000/);
    expect(narrow.out).toMatch(/^Simulated GP…l hardware\) +10 +0\.802 ± 0\.076 /m); // the numbers whole, a long name cut in the middle
    // piped without --width: whole lines, every column
    const whole = await spawnCli(['report', ...files, '--images']);
    expect(whole.out).not.toContain('left out');
    expect(whole.out).toMatch(/Wh\/1000 +img\/kWh/);
    expect(whole.out).toMatch(/^ 4 +00003-1003\.png +0\.668 +469\.9/m);
    expect(whole.out.indexOf('00003-1003.png')).toBeGreaterThan(whole.out.indexOf('== comparison'));
    expect((await spawnCli(['report', files[0], '--width', '10'])).err).toContain('--width must be a whole number of columns, 40 or more');
  }, 30_000);

  it('serve on a port already in use: one sentence naming the address and --listen, not a raw EADDRINUSE', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    try {
      const r = await spawnCli(['serve', '--probe', 'simulated', '--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`127.0.0.1:${port} is already in use (another genwatt serve, or another program): choose another with --listen HOST:PORT`);
      expect(r.err).not.toContain('EADDRINUSE');
    } finally {
      s.close();
    }
  }, 30_000);
});
