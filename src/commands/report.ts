/**
 * `genwatt report`: reads the sessions, renders the chosen format (given, else from --out's
 * extension), writes stdout or --out atomically. --out never replaces an input (a recording) and
 * replaces another existing file only with --force.
 */
import { existsSync, lstatSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { CompareOptions } from '../report/compare.js';
import { renderReport } from '../report/render.js';
import { fetchFleet, isUrl } from './report-fleet.js';
import { readSession, SessionFileError, type LoadedSession } from '../session/reader.js';

export interface ReportArgs extends CompareOptions {
  /** Session files, and node URLs (`http://node:9464`) whose serve sessions are fetched. */
  files: string[];
  /** Fleet: only sessions modified since then. */
  since?: string;
  /** Fleet: keep the fetched sessions here (only what it lacks is fetched). */
  save?: string;
  /** Undefined: from --out's extension, else table. */
  format: string | undefined;
  out?: string;
  force?: boolean;
  /** Per-image tables in the text report. */
  images?: boolean;
  /** The text report's width; default: the terminal's when stdout is one, else unlimited. */
  widthCols?: number;
}

const FORMAT_OF_EXTENSION: Record<string, string> = {
  '.html': 'html',
  '.htm': 'html',
  '.csv': 'csv',
  '.md': 'md',
  '.markdown': 'md',
  '.json': 'json',
  '.txt': 'table',
};

/** The same file, however named (a symlink, a hard link, `./a/../b`). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Why --out may not be written, or null. */
function outProblem(a: ReportArgs, out: string): string | null {
  for (const f of a.files)
    if (!isUrl(f) && sameFile(f, out)) return `--out ${a.out} is one of the sessions being reported: genwatt never writes over a recording`;
  if (existsSync(out) && !a.force) return `--out ${a.out} already exists: choose another name, or add --force to replace it`;
  return null;
}

/**
 * `genwatt report` with no file: the newest session in ./genwatt-sessions (where runs record by
 * default), a finished .json before the .jsonl of a killed run of the same name; null when none.
 */
export function newestSession(dir = resolve('genwatt-sessions')): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  let best: { file: string; mtimeMs: number } | null = null;
  for (const n of names) {
    if (!n.endsWith('.json') && !(n.endsWith('.jsonl') && !names.includes(n.slice(0, -1)))) continue;
    if (n.startsWith('.')) continue;
    const file = join(dir, n);
    try {
      const st = lstatSync(file);
      if (st.isFile() && (!best || st.mtimeMs > best.mtimeMs)) best = { file, mtimeMs: st.mtimeMs };
    } catch {
      // gone meanwhile
    }
  }
  return best?.file ?? null;
}

export async function writeReport(a: ReportArgs): Promise<{ usage: string } | { written: string | null } | { failed: number }> {
  if (a.files.length === 0) {
    const newest = newestSession();
    if (!newest) return { usage: 'no session given, and none in ./genwatt-sessions: name a recording (genwatt report FILE…)' };
    process.stderr.write(`genwatt: the newest session in ./genwatt-sessions: ${newest}\n`);
    a = { ...a, files: [newest] };
  }
  for (const [k, v] of [
    ['--price-kwh', a.priceKwh],
    ['--gco2-kwh', a.gco2Kwh],
  ] as const)
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) return { usage: `${k} must be a number, 0 or more, got ${v}` };
  if (a.widthCols !== undefined && !(Number.isInteger(a.widthCols) && a.widthCols >= 40))
    return { usage: `--width must be a whole number of columns, 40 or more, got ${a.widthCols}` };
  const out = a.out === undefined ? undefined : resolve(a.out);
  if (out) {
    const problem = outProblem(a, out);
    if (problem) return { usage: problem };
  }
  const format = a.format ?? (out ? FORMAT_OF_EXTENSION[extname(out).toLowerCase()] : undefined) ?? 'table';
  const since = a.since === undefined ? undefined : new Date(a.since);
  if (since && Number.isNaN(since.getTime())) return { usage: `--since must be a date (2026-11-30, 2026-11-30T08:00Z), got ${JSON.stringify(a.since)}` };
  const urls = a.files.filter(isUrl);
  const fleet = urls.length ? await fetchFleet(urls, { since, saveDir: a.save === undefined ? undefined : resolve(a.save) }) : null;
  for (const p of fleet?.problems ?? []) process.stderr.write(`genwatt: warning: ${p}\n`);
  const sessions: LoadedSession[] = [];
  const files = [...a.files.filter((f) => !isUrl(f)), ...(fleet?.files ?? [])];
  let unread = 0;
  try {
    for (const f of files) {
      try {
        sessions.push(await readSession(f, { samples: 'digest' }));
      } catch (err) {
        // One bad file among many is named and skipped; alone, it is the command's error.
        if (!(err instanceof SessionFileError) || files.length === 1) throw err;
        unread++;
        process.stderr.write(`genwatt: skipped ${err.message}\n`);
      }
    }
  } finally {
    fleet?.cleanup();
  }
  if (!sessions.length) {
    process.stderr.write(`genwatt: no session could be read${urls.length ? ' from the nodes given' : ''}\n`);
    return { failed: 1 };
  }
  const widthCols = a.widthCols ?? (!out && process.stdout.isTTY ? process.stdout.columns : undefined);
  const text = await renderReport(
    sessions,
    format,
    { priceKwh: a.priceKwh, gco2Kwh: a.gco2Kwh, groupBy: a.groupBy, baseline: a.baseline, startTempMarginC: a.startTempMarginC },
    { images: a.images, widthCols },
  );
  if (!out) {
    process.stdout.write(text);
    return unread ? { failed: 1 } : { written: null };
  }
  const tmp = join(dirname(out), `.${process.pid}-${Date.now()}.report.tmp`);
  writeFileSync(tmp, text, { flag: 'wx' });
  renameSync(tmp, out);
  process.stderr.write(`genwatt: report written to ${out} (${format})${unread ? `, without the ${unread} file(s) skipped above` : ''}\n`);
  return unread ? { failed: 1 } : { written: out };
}
