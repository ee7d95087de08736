/**
 * The layer rule of the README's Layout table, enforced: a folder imports only from the folders
 * listed after it (static, dynamic and type imports alike); probes/ never imports React or Ink;
 * components/ do no I/O. A new upward import fails here, naming the file and what it imports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/gen.js';

/** Highest layer first (README § Development, Layout); a file's layer is the first prefix it matches. */
const LAYERS = [
  ['src/cli.ts', 'src/cli-options.ts'],
  'src/commands/',
  'src/dashboard/',
  'components/',
  'src/serve/',
  'src/plan/',
  'src/report/',
  'src/measure/',
  'src/backends/',
  'src/session/',
  'src/energy/',
  'src/images/',
  ['src/series/', 'src/text/', 'src/package-info.ts'],
  'probes/',
] as const;

function layerOf(rel: string): number {
  return LAYERS.findIndex((l) => (Array.isArray(l) ? l : [l]).some((p: string) => (p.endsWith('/') ? rel.startsWith(p) : rel === p)));
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every module specifier a file names: import/export … from, import(), import type. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) out.push(m[1]);
  return out;
}

const FILES = [...sources('src'), ...sources('components'), ...sources('probes')];

describe('layers', () => {
  it('every source file belongs to a layer', () => {
    expect(FILES.filter((f) => layerOf(f) < 0)).toEqual([]);
    expect(FILES.length).toBeGreaterThan(100);
  });

  it('no folder imports from a layer above it', () => {
    const upward: string[] = [];
    for (const f of FILES) {
      const mine = layerOf(f);
      for (const spec of specifiers(readFileSync(join(ROOT, f), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        // `./x.js` names `./x.ts` or `./x.tsx`; a folder prefix decides the layer either way
        const target = relative(ROOT, resolve(ROOT, dirname(f), spec)).replace(/\.js$/, '.ts');
        const theirs = layerOf(target);
        if (theirs >= 0 && theirs < mine) upward.push(`${f} imports ${spec}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('probes/ never import React or Ink; components/ do no I/O', () => {
    const bad: string[] = [];
    for (const f of FILES) {
      const specs = specifiers(readFileSync(join(ROOT, f), 'utf8'));
      if (f.startsWith('probes/')) bad.push(...specs.filter((s) => /^(react|ink)(\/|$)/.test(s)).map((s) => `${f} imports ${s}`));
      if (f.startsWith('components/'))
        bad.push(
          ...specs.filter((s) => /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|worker_threads)$/.test(s)).map((s) => `${f} imports ${s}`),
        );
    }
    expect(bad).toEqual([]);
  });

  it('the check sees an upward import (it would fail on one)', () => {
    expect(specifiers(`import type { X } from '../measure/measure-session.js';\nconst y = await import('../../src/cli.js');`)).toEqual([
      '../measure/measure-session.js',
      '../../src/cli.js',
    ]);
    expect(layerOf('src/session/reader.ts')).toBeGreaterThan(layerOf('src/measure/measure-session.ts'));
  });
});
