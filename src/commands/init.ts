/**
 * `genwatt init`: the example config (launcher presets) and a starter plan, written into the current
 * folder from the files genwatt ships, so that an installed user has what the repository has.
 * Never replaces a file unless --force; each file is written whole or not at all.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../package-info.js';

const FILES = [
  { name: 'genwatt.config.json', from: 'genwatt.config.json', what: 'launcher presets: the demo, and commented SDXL / Z-Image / Forge / ComfyUI ones' },
  { name: 'genwatt-plan.json', from: 'docs/examples/plans/starter-plan.json', what: 'an experiment plan: two presets, three sessions each' },
] as const;

export function initCommand(opts: { dir?: string; force?: boolean } = {}): number {
  const dir = resolve(opts.dir ?? '.');
  const say = (l: string) => process.stdout.write(`${l}\n`);
  let kept = 0;
  for (const f of FILES) {
    const to = join(dir, f.name);
    if (existsSync(to) && !opts.force) {
      process.stderr.write(`genwatt: ${to} already exists: left as it is (--force replaces it)\n`);
      kept++;
      continue;
    }
    const tmp = join(dir, `.${f.name}.${process.pid}.tmp`);
    writeFileSync(tmp, readFileSync(join(packageRoot(), f.from)), { flag: 'wx' });
    renameSync(tmp, to);
    say(`wrote ${to}  (${f.what})`);
  }
  if (kept === FILES.length) return 1;
  say('');
  say('next:');
  say('  genwatt                              the dashboard; l opens the launcher with these presets');
  say('  genwatt plan genwatt-plan.json       run the plan (no GPU here? add --probe simulated)');
  say('  genwatt report                       the newest session, summarized');
  return 0;
}
