/** Under a locale that is not UTF-8 (LANG=C) genwatt's own symbols print as ASCII; data (a file name) keeps its bytes. */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, spawnCli, tempDir } from '../../helpers/gen.js';
import { asciiSymbols } from '../../../src/text/ascii-symbols.js';

const NON_ASCII = /[^\x00-\x7f]/;

describe('ASCII under a C locale', () => {
  it('report and probe print ±, ×, ·, °C as ASCII under LANG=C, and as themselves under UTF-8', async () => {
    const dir = tempDir('gw-ascii-');
    const file = join(dir, 'démo.json');
    copyFileSync(join(ROOT, 'fixtures/sessions/demo-8.json'), file);
    const c = { LANG: 'C', LC_ALL: 'C' };
    const u = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    const rc = await spawnCli(['report', file], c);
    const ru = await spawnCli(['report', file], u);
    expect(rc.code, rc.err).toBe(0);
    expect(ru.out).toMatch(/×|·/);
    // the only non-ASCII left is the file's own name
    expect(rc.out.replaceAll('démo', '')).not.toMatch(NON_ASCII);
    expect(rc.out).toContain('démo');
    const pc = await spawnCli(['probe', '--probe', 'simulated'], c);
    const pu = await spawnCli(['probe', '--probe', 'simulated'], u);
    expect(pu.out).toContain('°C');
    expect(pc.out).not.toMatch(NON_ASCII);
    expect(pc.out).toMatch(/\d+ C\b/);
  }, 30_000);

  it('each symbol has an ASCII form', () => {
    expect(asciiSymbols('±1.2 % · 38 °C · 4×2 ★ ↳ 5–10 ↑/↓ ≤ 0.5')).toBe('+-1.2 % | 38 C | 4x2 * -> 5-10 ^/v <= 0.5');
  });
});
