/**
 * Where recordings go: the journal beside the final document, fresh timestamped names, and the
 * temp file a final document is written to. Names genwatt chose itself may move on to the next free
 * `-N` name (another genwatt started in the same second); a name the user gave never changes.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export class RecordingExistsError extends Error {
  readonly exists = true;
  constructor(readonly file: string) {
    super(`${file} already exists: genwatt never overwrites a recording (choose another --record name)`);
  }
}

/** `x.json` → `x.jsonl`; anything else gets `.jsonl` appended. */
export function journalPath(file: string): string {
  return file.endsWith('.json') ? `${file}l` : `${file}.jsonl`;
}

/** A fresh timestamped path under `dir` that does not exist yet. */
export function defaultRecordPath(dir: string, mode: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  for (let i = 0; ; i++) {
    const p = resolve(dir, `${stamp}-${mode}${i ? `-${i}` : ''}.json`);
    if (!existsSync(p) && !existsSync(journalPath(p))) {
      chosenNames.add(p);
      return p;
    }
  }
}

/**
 * Names genwatt chose itself: another genwatt started in the same second may take one first, and
 * then the recorder moves on to the next free `-N` name. A name the user gave is never changed.
 */
const chosenNames = new Set<string>();

/** True for a name {@link defaultRecordPath} chose (the recorder may move it on). */
export function isChosenName(file: string): boolean {
  return chosenNames.has(resolve(file));
}

export function nextName(file: string): string {
  const m = /^(.*?)(?:-(\d+))?\.json$/.exec(file);
  return m ? `${m[1]}-${Number(m[2] ?? 0) + 1}.json` : `${file}-1`;
}

/** The temp file a final document is written to before it is linked into place (a dotfile: never listed). */
export function finalTempPath(file: string): string {
  return join(dirname(resolve(file)), `.${basename(file)}.${process.pid}-${Date.now()}.genwatt.tmp`);
}
