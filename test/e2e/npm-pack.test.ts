/**
 * genwatt installs like any npm CLI: `npm pack` (which builds on prepack) makes a tarball that a
 * global install into a fresh prefix runs from any folder. Dependencies come from npm's cache that
 * `npm ci` filled (--prefer-offline), so the test costs seconds, not a download.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/gen.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm pack + global install', () => {
  it('the packed tarball installs into a temporary prefix; genwatt --version, demo and probe work from another folder', async () => {
    const dest = tempDir('gw-pack-');
    const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    // A clone's files without dist/ (what a fresh `git clone` has), so prepack's build is what fills it.
    const clone = join(dest, 'clone');
    const listed = await run('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT }).catch(() => null);
    if (listed) {
      for (const f of listed.stdout.split('\n').filter(Boolean)) {
        if (!existsSync(join(ROOT, f))) continue;
        mkdirSync(dirname(join(clone, f)), { recursive: true });
        cpSync(join(ROOT, f), join(clone, f));
      }
    } else {
      // Not a git checkout (a copied tree): everything but what a clone would not have.
      const skip = new Set(['node_modules', 'dist', '.git', '.gpubundle']);
      cpSync(ROOT, clone, { recursive: true, filter: (src) => !skip.has(src.slice(ROOT.length + 1).split('/')[0]) });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const packed = await run(npm, ['pack', '--pack-destination', dest, '--silent'], { cwd: clone, env, timeout: 120000 });
    const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz'));
    expect(tgz, packed.stdout).toBeDefined();
    const prefix = join(dest, 'prefix');
    const installed = await run(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', join(dest, tgz!)], { cwd: dest, env, timeout: 180000 });
    // The only warning allowed is npm ≥ 11.16's advisory about koffi's install script, which
    // genwatt does not need (koffi ships prebuilt binaries; README § Install says so).
    const warnings = installed.stderr.split('\n').filter((l) => /warn|ERR/i.test(l) && !/install-scripts/.test(l));
    expect(warnings).toEqual([]);
    const bin = join(prefix, 'bin', 'genwatt');
    expect(existsSync(bin)).toBe(true);
    const cwd = tempDir('gw-elsewhere-');
    const path = `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`;
    const opts = { cwd, env: { HOME: cwd, PATH: path, LANG: 'C.UTF-8' }, timeout: 60000 };
    const version = await run('genwatt', ['--version'], opts);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const demo = await run('genwatt', ['demo', '--plain', '--count', '3', '--idle', '0.3', '--no-record'], opts);
    expect(demo.stdout.split('\n').filter((l) => l.startsWith('image '))).toHaveLength(3);
    expect(demo.stdout).toMatch(/J\/image +mean [\d.]+ J/);
    const probe = await run('genwatt', ['probe', '--json'], opts);
    expect(JSON.parse(probe.stdout)).toHaveProperty('probes');
    expect(readdirSync(cwd).filter((f) => f !== '.npm')).toEqual([]); // nothing left behind in the user's folder
    // the man page is installed where man looks; init gives the example config and plan
    expect(existsSync(join(prefix, 'share/man/man1/genwatt.1'))).toBe(true);
    const initDir = tempDir('gw-init-installed-');
    const init = await run('genwatt', ['init'], { ...opts, cwd: initDir });
    expect(init.stdout).toContain('genwatt-plan.json');
    expect(readFileSync(join(initDir, 'genwatt.config.json'), 'utf8')).toContain('{genwatt}/fixtures/demo-generator.mjs');
    // the plan as written runs the installed generator (cut to one short session per preset to stay quick)
    const planFile = join(initDir, 'genwatt-plan.json');
    writeFileSync(
      planFile,
      readFileSync(planFile, 'utf8').replaceAll('"repeats": 3, "count": 6, "idleSeconds": 3', '"repeats": 1, "count": 2, "idleSeconds": 0'),
    );
    const plan = await run('genwatt', ['plan', 'genwatt-plan.json', '--probe', 'simulated'], { ...opts, cwd: initDir, timeout: 120000 });
    expect(plan.stdout).toMatch(/recorded 2, skipped 0 \(already recorded\), failed 0/);
  }, 240000);
});
