/**
 * A run whose generator ended without one image in --out most likely watched the wrong folder. The
 * generator's own arguments (`--out DIR`, `--output_dir=DIR`, any argument that is a folder) and its
 * working folder often name the right one: the first of them holding an image written since the run
 * started is named in the message. Bounded: a few folders, their top level only.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isImagePath } from '../images/image-complete.js';

const MAX_FOLDERS = 8;
const MAX_ENTRIES = 2000;
/** File times are the wall clock's: a little slack for a file written as the run began. */
const SLACK_MS = 2000;

/** Folders the generator's arguments and working folder name, nearest first. */
function candidates(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const eq = /^--?[\w-]*(?:out|dir|folder|path)[\w-]*=(.+)$/i.exec(a);
    if (eq) out.push(eq[1]);
    else if (/^--?[\w-]*(?:out|dir|folder|path)[\w-]*$/i.test(a) && i + 1 < argv.length) out.push(argv[i + 1]);
    else if (!a.startsWith('-')) out.push(a);
  }
  out.push('.');
  return [...new Set(out.map((p) => resolve(cwd, p)))];
}

/** A folder (other than `outDir`) where an image was written since `sinceWallMs`, or null. */
export async function newImagesElsewhere(argv: readonly string[], cwd: string, outDir: string, sinceWallMs: number): Promise<string | null> {
  const watched = resolve(cwd, outDir);
  let looked = 0;
  for (const dir of candidates(argv, cwd)) {
    if (dir === watched || looked >= MAX_FOLDERS) continue;
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    looked++;
    const names = (await readdir(dir).catch(() => [] as string[])).slice(0, MAX_ENTRIES);
    for (const n of names) {
      if (!isImagePath(n)) continue;
      const f = await stat(join(dir, n)).catch(() => undefined);
      if (f?.isFile() && f.mtimeMs >= sinceWallMs - SLACK_MS) return dir;
    }
  }
  return null;
}

/**
 * A command that ended by itself, successfully, with no image in --out: why the run fails, naming a
 * folder it did write to if one is found; null when the run is not such a run.
 */
export async function nothingMade(
  c: { mode: string; outDir: string | null; argv: string[] | null; cwd: string },
  ended: { byItself: boolean; exitedCleanly: boolean; images: number },
  sinceWallMs: number,
): Promise<string | null> {
  if (c.mode !== 'run' || !c.outDir || !c.argv || ended.images > 0 || !ended.byItself || !ended.exitedCleanly) return null;
  const elsewhere = await newImagesElsewhere(c.argv, c.cwd, c.outDir, sinceWallMs);
  const hint = elsewhere ? ` New images did appear in ${elsewhere}: use --out ${elsewhere}` : '';
  return `the command ended and 0 images appeared in ${c.outDir}: is that the folder it writes to?${hint}`;
}
