/**
 * Guarantee: `report --out` never destroys a recording. On ffcd592 `genwatt report a.json b.json
 * --out b.json` exited 0 and b.json was gone, and `--out r.html` wrote the plain table into it.
 */
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, spawnCli, tempDir } from '../helpers/gen.js';

const DEMO = join(ROOT, 'fixtures/sessions/demo-8.json');

describe('report --out', () => {
  it('refuses to write over an input (however named) or an existing file without --force; the format follows the extension', async () => {
    const dir = tempDir('gw-out-');
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    copyFileSync(DEMO, a);
    copyFileSync(DEMO, b);
    const original = readFileSync(b, 'utf8');
    for (const out of [b, join(dir, 'sub', '..', 'b.json')]) {
      const r = await spawnCli(['report', a, b, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/is one of the sessions being reported: genwatt never writes over a recording/);
    }
    symlinkSync(b, join(dir, 'link.json'));
    expect((await spawnCli(['report', a, b, '--out', join(dir, 'link.json'), '--force'])).code).toBe(2);
    expect(readFileSync(b, 'utf8')).toBe(original);
    writeFileSync(join(dir, 'old.html'), 'mine');
    const refused = await spawnCli(['report', a, '--out', join(dir, 'old.html')]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/already exists: choose another name, or add --force/);
    expect(readFileSync(join(dir, 'old.html'), 'utf8')).toBe('mine');
    expect((await spawnCli(['report', a, '--out', join(dir, 'old.html'), '--force'])).code).toBe(0);
    expect(readFileSync(join(dir, 'old.html'), 'utf8')).toMatch(/^<!doctype html>/);
    for (const [ext, pattern] of [
      ['csv', /^configuration,run,session,device,/],
      ['md', /^\| session \|/],
      ['json', /^\{\n {2}"sessions"/],
    ] as const) {
      expect((await spawnCli(['report', a, '--out', join(dir, `r.${ext}`)])).code).toBe(0);
      expect(readFileSync(join(dir, `r.${ext}`), 'utf8')).toMatch(pattern);
    }
  }, 60000);
});
