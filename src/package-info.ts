/** Where the package lives and its version, found by walking up from this file (works from src/ and dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schema'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('genwatt: cannot find the package root');
    dir = up;
  }
  root = dir;
  return dir;
}

export function genwattVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
