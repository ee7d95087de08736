/** Help as terminal users expect it (issue 24 item 15): typed flags, only the flags a command takes, examples, completion, a man page. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, spawnCli, tempDir } from '../../helpers/gen.js';
import { start, until, tmux } from '../../helpers/tmux.js';

/** The block of one flag in yargs' help: its line and the continuation lines up to the next flag. */
function flagBlock(help: string, flag: string): string {
  const lines = help.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^ {2}(-\\w, | {4})--${flag}\\b`).test(l));
  if (i < 0) return '';
  let j = i + 1;
  while (j < lines.length && !/^ {2}(-\w, | {4})--[\w-]/.test(lines[j]) && lines[j].trim() !== '') j++;
  return lines.slice(i, j).join('\n');
}

describe('help that a terminal user can act on', () => {
  it('number flags read [number] (still parsed as text, so an error echoes what was typed); every command has examples', async () => {
    const run = (await spawnCli(['run', '--help'])).out;
    for (const f of ['interval', 'idle', 'count', 'timeout', 'kill-after', 'counter-interval', 'sim-gpus', 'steps'])
      expect(flagBlock(run, f), f).toMatch(/\[number\]/);
    for (const f of ['record', 'out', 'gpu']) expect(flagBlock(run, f), f).toMatch(/\[string\]/);
    expect((await spawnCli(['run', '--idle', '5s', '--out', '.', '--', 'true'])).err).toContain('--idle must be 0 or more seconds, got 5s');
    for (const cmd of ['', 'demo', 'run', 'watch', 'monitor', 'replay', 'plan', 'serve', 'probe', 'report']) {
      const r = await spawnCli([...(cmd ? [cmd] : []), '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toMatch(new RegExp(`Examples:\\n  genwatt${cmd ? ` ${cmd}` : ''}`));
    }
  }, 60_000);

  it('monitor --help lists only what monitor takes; a flag it does not take is refused, pointing at its own help', async () => {
    const help = (await spawnCli(['monitor', '--help'])).out;
    for (const f of ['probe', 'interval', 'timeout', 'record', 'plain', 'sim-gpus']) expect(flagBlock(help, f), f).not.toBe('');
    for (const f of ['idle', 'warmup', 'count', 'json', 'kill-after', 'show-output', 'blank-check', 'gpu', 'batch-gap']) expect(flagBlock(help, f), f).toBe('');
    expect(help.match(/^\s+--gpu\b/gm)).toBeNull();
    const idle = await spawnCli(['monitor', '--idle', '3']);
    expect(idle.code).toBe(2);
    expect(idle.err).toMatch(/Unknown argument: idle\n\(see genwatt monitor --help\)/);
    // refused with a hint, not merely unknown
    expect((await spawnCli(['monitor', '--count', '3'])).err).toContain('use --timeout SECONDS to stop it');
  }, 30_000);

  it("genwatt completion: a bash script that completes commands and each command's flags", () => {
    const dir = tempDir('gw-compl-');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/genwatt'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(join(dir, 'bin/genwatt'), 0o755);
    const complete = (words: string) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source <(genwatt completion); COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _genwatt_yargs_completions; echo "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` } },
      ).trim();
    expect(complete('genwatt mon')).toBe('monitor');
    expect(complete('genwatt re').split(' ').sort()).toEqual(['replay', 'report']);
    expect(complete('genwatt report --ima')).toBe('--images');
    expect(complete('genwatt monitor --id')).toBe(''); // monitor has no --idle
    expect(complete('genwatt ""')).not.toContain('$0');
  }, 30_000);

  it('the man page is the help texts as they are now, and renders without a roff warning', () => {
    const check = spawnSync(process.execPath, [join(ROOT, 'scripts/man-page.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const pkg = JSON.parse(execFileSync('cat', [join(ROOT, 'package.json')], { encoding: 'utf8' })) as { man: string[]; files: string[] };
    expect(pkg.man).toEqual(['./man/genwatt.1']);
    expect(pkg.files).toContain('man');
    const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(ROOT, 'man/genwatt.1')], { encoding: 'utf8' });
    if (groff.error) return; // no groff here: the --check above still holds
    expect(groff.stderr).toBe('');
  });

  it('--sim-gpus works for probe and for the dashboard (so d and w can be tried without hardware)', async () => {
    const p = await spawnCli(['probe', '--probe', 'simulated', '--sim-gpus', '3', '--json']);
    expect(p.code, p.err).toBe(0);
    expect((JSON.parse(p.out) as { devices: { id: string }[] }).devices.map((d) => d.id)).toEqual(['sim-0', 'sim-1', 'sim-2']);
    const s = start('simgpus', 120, 40, ['monitor', '--probe', 'simulated', '--sim-gpus', '2']);
    try {
      const screen = await until(s, /sim-1/, 30_000);
      expect(screen).toMatch(/sim-0/);
    } finally {
      tmux('kill-session', '-t', s.session);
    }
  }, 60_000);
});
