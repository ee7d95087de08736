#!/usr/bin/env node
// Writes man/genwatt.1 from the built CLI's help texts (npm run man; needs `npm run build` first).
// With --check: exits 1 when the committed page differs from what the help says now.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { manPage } = await import(join(root, 'dist/src/text/man-page.js'));
const { COMMAND_NAMES } = await import(join(root, 'dist/src/commands/did-you-mean.js'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

export function helpTexts() {
  // `completion --help` prints the script itself: the top-level help describes it.
  return ['', ...COMMAND_NAMES.filter((c) => c !== 'completion')].map((command) => {
    const r = spawnSync(process.execPath, [join(root, 'dist/src/cli.js'), ...(command ? [command] : []), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', COLUMNS: '72' }, // the man page's text width (man indents it by 7)
    });
    if (r.status !== 0) throw new Error(`genwatt ${command} --help failed: ${r.stderr}`);
    return { command, text: r.stdout.replace(/^Options:\n\s+--version[^\n]*\n\s+-h, --help[^\n]*\n/m, 'Options:\n') };
  });
}

const file = join(root, 'man/genwatt.1');
// The date is the package version's, not today's: regenerating changes nothing unless the help did.
const page = manPage(helpTexts(), pkg.version, pkg.manDate ?? '2026-12-07');
if (process.argv.includes('--check')) {
  const now = readFileSync(file, 'utf8');
  if (now !== page) {
    process.stderr.write('man/genwatt.1 is out of date: run `npm run build && npm run man`\n');
    process.exit(1);
  }
} else writeFileSync(file, page);
