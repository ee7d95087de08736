/** `genwatt init` (issue 24 item 16): an installed user gets the example config and a plan that run from any folder. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPresets, presetArgv } from '../../../src/backends/presets.js';
import { loadPlan } from '../../../src/plan/plan-file.js';
import { spawnCliIn, tempDir } from '../../helpers/gen.js';

describe('genwatt init', () => {
  it('writes a config whose demo preset and a plan whose presets run the installed generator; never replaces a file without --force', async () => {
    const dir = tempDir('gw-init-');
    const r = await spawnCliIn(dir, ['init']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`wrote ${join(dir, 'genwatt.config.json')}`);
    expect(r.out).toContain('genwatt plan genwatt-plan.json');
    const load = await loadPresets(dir, { HOME: '/nonexistent' });
    expect(load.error).toBeNull();
    expect(load.disabled).toEqual([]);
    const demo = load.presets.find((p) => p.name === 'demo')!;
    const argv = presetArgv(demo, 2);
    expect(existsSync(argv[1]), argv[1]).toBe(true); // {genwatt}: the generator where genwatt is installed
    expect(demo.out).toBe(join(dir, 'genwatt-out/demo'));
    const plan = await loadPlan(join(dir, 'genwatt-plan.json'));
    expect(plan.sessions.map((s) => s.preset.name)).toEqual(['demo-fast', 'demo-fast', 'demo-fast', 'demo-slow', 'demo-slow', 'demo-slow']);
    for (const s of plan.sessions) expect(existsSync(presetArgv(s.preset, 1)[1])).toBe(true);
    expect(plan.recordDir).toBe(join(dir, 'genwatt-plans/starter'));
    // again: both exist, both kept, exit 1
    writeFileSync(join(dir, 'genwatt-plan.json'), 'mine');
    const again = await spawnCliIn(dir, ['init']);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${join(dir, 'genwatt-plan.json')} already exists: left as it is (--force replaces it)`);
    expect(readFileSync(join(dir, 'genwatt-plan.json'), 'utf8')).toBe('mine');
    const forced = await spawnCliIn(dir, ['init', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'genwatt-plan.json'), 'utf8')).toContain('"name": "starter"');
  }, 30_000);
});
