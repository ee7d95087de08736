/**
 * Reads a recording: a finished `.json` or the `.jsonl` a killed genwatt left. Validates against
 * schema/session.schema.json and names the file and line of the first problem. A `.jsonl` is
 * rebuilt into a document, its rows and summary recomputed by the same code the live run uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';
import type { DeviceInfo, Reading } from '../probes/types.js';
import { groupIntoBatches, type ImageEvent } from './batches.js';
import { computeRows, type DeviceSeries, type SeriesSample } from './image-rows.js';
import { packageRoot } from './package-info.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type HeaderRecord, type SessionDoc } from './session-types.js';
import { summarize } from './summary.js';

export class SessionFileError extends Error {
  readonly invalidSession = true;
  constructor(readonly file: string, readonly line: number | undefined, detail: string, options?: { cause?: unknown }) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`, options);
  }
}

export interface LoadedSession {
  file: string;
  doc: SessionDoc;
  /** False for a `.jsonl` without an end record (genwatt was killed). */
  finished: boolean;
  warnings: string[];
}

let ajv: AjvType | undefined;
const validators = new Map<string, ValidateFunction>();

async function validator(def: string | null): Promise<ValidateFunction> {
  const key = def ?? '';
  const hit = validators.get(key);
  if (hit) return hit;
  if (!ajv) {
    const { Ajv } = await import('ajv');
    ajv = new Ajv({ allErrors: false, strict: false });
    ajv.addSchema(JSON.parse(readFileSync(join(packageRoot(), 'schema/session.schema.json'), 'utf8')), 'session');
  }
  const fn = ajv.getSchema(def ? `session#/definitions/${def}` : 'session');
  if (!fn) throw new Error(`schema has no definition ${def}`);
  validators.set(key, fn);
  return fn;
}

function describe(fn: ValidateFunction): string {
  const e = fn.errors?.[0];
  if (!e) return 'does not match the session schema';
  return `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`;
}

/** Line (1-based) of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** GPU series (host excluded) from recorded readings. */
export function seriesFromSamples(devices: readonly DeviceInfo[], samples: readonly Reading[]): DeviceSeries[] {
  const gpuIds = devices.filter((d) => !d.host).map((d) => d.id);
  const by = new Map<string, SeriesSample[]>(gpuIds.map((id) => [id, []]));
  for (const r of samples) {
    const arr = by.get(r.deviceId);
    if (!arr || (r.powerWatts === undefined && r.energyJoules === undefined && r.vramUsedBytes === undefined)) continue;
    const s: SeriesSample = { tMs: r.tMs };
    if (r.powerWatts !== undefined) s.powerWatts = r.powerWatts;
    if (r.powerKind !== undefined) s.powerKind = r.powerKind;
    if (r.energyJoules !== undefined) s.energyJoules = r.energyJoules;
    if (r.vramUsedBytes !== undefined) s.vramUsedBytes = r.vramUsedBytes;
    arr.push(s);
  }
  for (const arr of by.values()) arr.sort((a, b) => a.tMs - b.tMs);
  return [...by.entries()].map(([deviceId, samples]) => ({ deviceId, samples }));
}

/** Rows and summary of a document, from its samples and image events. */
export function recompute(doc: SessionDoc): Pick<SessionDoc, 'rows' | 'summary'> {
  const batches = groupIntoBatches(doc.images, doc.options.batchGapMs ?? undefined, doc.run.startMs ?? undefined);
  const runStart = doc.run.startMs ?? doc.images[0]?.mtimeMs ?? 0;
  const rows = computeRows(batches, runStart, seriesFromSamples(doc.devices, doc.samples), doc.idle ?? undefined, doc.options);
  const end = doc.run.endMs ?? (doc.samples.length ? doc.samples[doc.samples.length - 1].tMs : null);
  const duration = doc.run.startMs !== null && end !== null ? (end - doc.run.startMs) / 1000 : null;
  return { rows, summary: summarize(rows, doc.idle ?? undefined, duration) };
}

async function readJson(file: string, text: string): Promise<LoadedSession> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // JSON.parse's message has no position on Node 20: ask a tolerant parser where it broke.
    const { parse, printParseErrorCode } = await import('jsonc-parser');
    const errors: import('jsonc-parser').ParseError[] = [];
    parse(text, errors, { allowTrailingComma: false, disallowComments: true });
    const first = errors[0];
    const detail = first ? `${printParseErrorCode(first.error)} (${(err as Error).message.split('\n')[0]})` : (err as Error).message;
    throw new SessionFileError(file, first ? lineOf(text, first.offset) : undefined, `not valid JSON: ${detail}`, { cause: err });
  }
  const fn = await validator(null);
  if (!fn(doc)) {
    let line: number | undefined;
    const path = (fn.errors?.[0]?.instancePath ?? '').split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
    const { parseTree, findNodeAtLocation } = await import('jsonc-parser');
    const tree = parseTree(text);
    const node = tree && findNodeAtLocation(tree, path);
    if (node) line = lineOf(text, node.offset);
    const hint = (doc as { schema?: unknown })?.schema !== SCHEMA_NAME ? ' (is this a genwatt session file?)' : '';
    throw new SessionFileError(file, line, describe(fn) + hint);
  }
  return { file, doc: doc as SessionDoc, finished: true, warnings: [] };
}

async function readJournal(file: string, text: string): Promise<LoadedSession> {
  const lines = text.split('\n');
  const warnings: string[] = [];
  // A killed writer can leave one half-written last line: everything before it still counts.
  if (lines[lines.length - 1] === '') lines.pop();
  let header: HeaderRecord | undefined;
  const doc: Partial<SessionDoc> & { samples: Reading[] } = { samples: [], gaps: [], images: [], logs: [], notes: [], idle: null };
  const batchOf = new Map<string, number>();
  let finished = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    if (lines[i].trim() === '') continue;
    let rec: { type?: unknown } & Record<string, unknown>;
    try {
      rec = JSON.parse(lines[i]);
    } catch (err) {
      if (i === lines.length - 1 && !text.endsWith('\n')) {
        warnings.push(`${file}:${n}: last line is incomplete (genwatt was stopped while writing it); ignored`);
        break;
      }
      throw new SessionFileError(file, n, `not valid JSON (${(err as Error).message})`, { cause: err });
    }
    const type = typeof rec?.type === 'string' ? rec.type : undefined;
    const fn = await validator(type ? `${type}Record` : 'record').catch(() => undefined);
    if (!fn) throw new SessionFileError(file, n, `unknown record type ${JSON.stringify(rec?.type)}`);
    if (!fn(rec)) throw new SessionFileError(file, n, `${type ?? 'record'} record: ${describe(fn)}`);
    if (!header && type !== 'header') throw new SessionFileError(file, n, 'the first record must be the header (is this a genwatt session journal?)');
    const { type: _t, ...body } = rec;
    switch (type) {
      case 'header':
        if (header) throw new SessionFileError(file, n, 'a second header record');
        header = rec as unknown as HeaderRecord;
        break;
      case 'sample':
        doc.samples.push(body as unknown as Reading);
        break;
      case 'gap':
        doc.gaps!.push(body as never);
        break;
      case 'note':
        doc.notes!.push(body as never);
        break;
      case 'log':
        doc.logs!.push(body as never);
        break;
      case 'idle':
        doc.idle = body as never;
        break;
      case 'run-start':
        header!.run.startMs = rec.startMs as number;
        break;
      case 'image':
        doc.images!.push(body as unknown as ImageEvent);
        break;
      case 'batch':
        for (const p of rec.paths as string[]) batchOf.set(p, rec.batch as number);
        break;
      case 'tags':
        Object.assign(header!.run.tags, rec.tags as Record<string, string>);
        break;
      case 'end':
        finished = true;
        header!.run.endMs = rec.endMs as number;
        header!.run.exit = rec.exit as never;
        header!.run.endReason = rec.endReason as string | null;
        doc.endedAt = rec.endedAt as string;
        break;
    }
  }
  if (!header) throw new SessionFileError(file, undefined, 'empty journal: no header record');
  if (!finished) warnings.push(`${file}: no end record: genwatt stopped without finishing this session (killed?); figures cover what was recorded`);
  const images = doc.images!.map((e) => (batchOf.has(e.path) ? { ...e, batch: batchOf.get(e.path) } : { ...e, batch: undefined }));
  // Images of a batch that never closed: group them by the same rule, after the closed ones.
  const closed = images.filter((e) => e.batch !== undefined);
  const open = images.filter((e) => e.batch === undefined);
  const next = closed.reduce((m, e) => Math.max(m, e.batch! + 1), 0);
  const regrouped = groupIntoBatches(open.map(({ batch: _b, ...e }) => e), header.options.batchGapMs ?? undefined);
  regrouped.forEach((g, k) => g.forEach((e) => (e.batch = next + k)));
  const full: SessionDoc = {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    genwatt: header.genwatt,
    startedAt: header.startedAt,
    endedAt: doc.endedAt ?? null,
    complete: finished,
    host: header.host,
    devices: header.devices,
    probes: header.probes,
    options: header.options,
    run: { ...header.run, endMs: header.run.endMs ?? (doc.samples.length ? doc.samples[doc.samples.length - 1].tMs : null) },
    idle: doc.idle ?? null,
    samples: doc.samples,
    gaps: doc.gaps!,
    images: [...closed, ...regrouped.flat()].map((e) => {
      const out: ImageEvent = { path: e.path, mtimeMs: e.mtimeMs };
      if (e.bytes !== undefined) out.bytes = e.bytes;
      if (e.detectedMs !== undefined) out.detectedMs = e.detectedMs;
      if (e.meta !== undefined) out.meta = e.meta;
      if (e.batch !== undefined) out.batch = e.batch;
      return out;
    }),
    rows: [],
    summary: summarize([], undefined, null),
    logs: doc.logs!,
    notes: doc.notes!,
  };
  Object.assign(full, recompute(full));
  return { file, doc: full, finished, warnings };
}

/** Reads and validates a session file (`.json` or `.jsonl`). */
export async function readSession(file: string): Promise<LoadedSession> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, not a session file' : (err as Error).message;
    throw new SessionFileError(file, undefined, why, { cause: err });
  }
  if (text.trim() === '') throw new SessionFileError(file, 1, 'file is empty');
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : undefined);
  const isJournal = file.endsWith('.jsonl') || /^\{"type":"header"/.test(firstLine);
  const loaded = isJournal ? await readJournal(file, text) : await readJson(file, text);
  if (loaded.doc.schemaVersion !== SCHEMA_VERSION) throw new SessionFileError(file, undefined, `schemaVersion ${loaded.doc.schemaVersion} is not supported by this genwatt`);
  return loaded;
}
