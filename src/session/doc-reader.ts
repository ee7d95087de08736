/**
 * Reads a finished session document (`NAME.json`). genwatt writes it one top-level key per line and
 * one array item per line (session/doc-writer.ts), so it is read as a stream: each item is validated
 * as it passes (file and line named on the first problem) and the bulky arrays (samples, gaps, logs,
 * notes) are kept, digested or counted as the caller asks — a session of any size in bounded memory.
 * A file in another layout (hand-edited, pretty-printed) is parsed whole, up to {@link WHOLE_PARSE_MAX_BYTES}.
 */
import { readFileSync, statSync } from 'node:fs';
import type { DeviceInfo } from '../../probes/types.js';
import { jsonProblem } from '../text/json-problem.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../text/json-depth.js';
import { summarize } from '../energy/summary.js';
import { describeErrors, validator } from './schema.js';
import { SessionFileError } from './session-file-error.js';
import { textLines } from './text-lines.js';
import { endReasonOf, SCHEMA_NAME, type SessionDoc } from './types.js';

/** Largest document parsed whole when it is not in genwatt's line layout (JSON.parse needs ~6× its size). */
export const WHOLE_PARSE_MAX_BYTES = 64 * 1024 * 1024;

/** The schema definition of each array's items. */
const ITEM_DEF: Record<string, string> = {
  samples: 'reading',
  gaps: 'gap',
  images: 'imageEvent',
  rows: 'row',
  logs: 'log',
  notes: 'note',
  devices: 'device',
  probes: 'probe',
};

/** Arrays that can grow with the session's length: handed to the caller, not kept in the document. */
export const BULK_KEYS = ['samples', 'gaps', 'logs', 'notes'] as const;
export type BulkKey = (typeof BULK_KEYS)[number];

/** Receives each bulky item (already validated); the document gets whatever the handler keeps. */
export type BulkHandler = (key: BulkKey, item: unknown, line?: number) => void;

class NotLineLayout extends Error {}

/** Line of a validation error's instance path, from what the reader saw. */
function lineOfPath(path: string, keyLine: Map<string, number>, itemLines: Map<string, number[]>): number | undefined {
  const [key, index] = path.split('/').slice(1);
  if (key === undefined) return undefined;
  if (index !== undefined && /^\d+$/.test(index)) return itemLines.get(key)?.[Number(index)] ?? keyLine.get(key);
  return keyLine.get(key);
}

const stripComma = (s: string) => (s.endsWith(',') ? s.slice(0, -1) : s);

/** Streams a line-layout document; throws NotLineLayout at the first line that does not fit it. */
async function readLineLayout(file: string, sink: BulkSink): Promise<SessionDoc> {
  const bulk = sink.item;
  const doc: Record<string, unknown> = {};
  let announced = false;
  const announce = () => {
    if (announced || !Array.isArray(doc.devices) || !doc.options || typeof doc.options !== 'object') return;
    announced = true;
    sink.devices?.(doc.devices as DeviceInfo[], Number((doc.options as { gapLimitMs?: unknown }).gapLimitMs));
  };
  const keyLine = new Map<string, number>();
  const itemLines = new Map<string, number[]>();
  let state: 'start' | 'keys' | 'array' | 'end' = 'start';
  let arrayKey = '';
  let arrayItems: unknown[] = [];
  let itemIndex = 0;
  let itemFn: import('ajv').ValidateFunction | undefined;
  for await (const { n, text } of textLines(file)) {
    if (state === 'start') {
      if (text !== '{') throw new NotLineLayout();
      state = 'keys';
      continue;
    }
    if (state === 'end') {
      if (text.trim() !== '') throw new NotLineLayout();
      continue;
    }
    if (state === 'array') {
      if (text === '  ]' || text === '  ],') {
        if (!(BULK_KEYS as readonly string[]).includes(arrayKey)) doc[arrayKey] = arrayItems;
        state = 'keys';
        announce();
        continue;
      }
      if (!text.startsWith('    ')) throw new NotLineLayout();
      let item: unknown;
      if (nestsDeeperThan(text)) throw tooDeep(file, n);
      try {
        item = JSON.parse(stripComma(text.slice(4)));
      } catch {
        throw new NotLineLayout();
      }
      if (itemFn && !itemFn(item)) {
        const e = itemFn.errors?.[0];
        throw new SessionFileError(file, n, `/${arrayKey}/${itemIndex}${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`);
      }
      itemIndex++;
      if ((BULK_KEYS as readonly string[]).includes(arrayKey)) bulk(arrayKey as BulkKey, item, n);
      else {
        arrayItems.push(item);
        itemLines.get(arrayKey)!.push(n);
      }
      continue;
    }
    if (text === '}') {
      state = 'end';
      continue;
    }
    const m = /^ {2}"([A-Za-z0-9_-]+)": (.*)$/.exec(text);
    if (!m) throw new NotLineLayout();
    const [, key, rest] = m;
    const before = keyLine.get(key);
    if (before !== undefined) throw new SessionFileError(file, n, `"${key}" appears twice (lines ${before} and ${n}): which one is meant cannot be told`);
    keyLine.set(key, n);
    if (rest === '[') {
      state = 'array';
      arrayKey = key;
      arrayItems = [];
      itemIndex = 0;
      itemLines.set(key, []);
      itemFn = ITEM_DEF[key] ? await validator(ITEM_DEF[key]) : undefined;
      continue;
    }
    if (nestsDeeperThan(rest)) throw tooDeep(file, n);
    try {
      doc[key] = JSON.parse(stripComma(rest));
    } catch {
      throw new NotLineLayout();
    }
    announce();
  }
  if (state !== 'end') throw new NotLineLayout();
  for (const k of BULK_KEYS) if (Array.isArray(doc[k])) for (const item of doc[k] as unknown[]) bulk(k, item);
  for (const k of BULK_KEYS) doc[k] = [];
  summaryProblems.set(doc, await setAsideSummary(doc));
  const fn = await validator<SessionDoc>(null);
  const schemaName = doc.schema;
  if (!fn(doc)) {
    const hint = schemaName !== SCHEMA_NAME ? ' (is this a genwatt session file?)' : '';
    throw new SessionFileError(file, lineOfPath(fn.errors?.[0]?.instancePath ?? '', keyLine, itemLines), describeErrors(fn) + hint);
  }
  const lineOfRow = (i: number) => itemLines.get('rows')?.[i];
  rowLines.set(doc, lineOfRow);
  return doc;
}

const tooDeep = (file: string, line?: number) => new SessionFileError(file, line, `nested deeper than ${MAX_JSON_DEPTH} levels: not a genwatt session`);

/** Per document read: why its stored summary was set aside, and where each row is. */
const summaryProblems = new WeakMap<object, string | undefined>();
const rowLines = new WeakMap<object, (index: number) => number | undefined>();

/**
 * The summary is derived from the rows (session/self-check.ts recomputes it): one that fails its own
 * schema (an old recording's negative duration, say) is set aside, not a reason to refuse the file.
 */
async function setAsideSummary(doc: Record<string, unknown>): Promise<string | undefined> {
  if (!('summary' in doc)) return undefined;
  const fn = await validator('summary');
  if (fn(doc.summary)) return undefined;
  const why = `/summary${describeErrors(fn).replace(/^\(top level\)/, '')}`;
  doc.summary = summarize([], undefined, null);
  return why;
}

/** Line (1-based) of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A document in another layout: parsed and validated whole (JSON.parse has no positions on Node 20: jsonc-parser says where). */
async function readWhole(file: string, sink: BulkSink): Promise<SessionDoc> {
  const size = statSync(file).size;
  if (size > WHOLE_PARSE_MAX_BYTES)
    throw new SessionFileError(
      file,
      undefined,
      `not in genwatt's line layout (one key, one array item a line) and too large to read whole (${(size / 1048576).toFixed(0)} MiB; at most ${WHOLE_PARSE_MAX_BYTES / 1048576} MiB)`,
    );
  const text = readFileSync(file, 'utf8');
  if (nestsDeeperThan(text)) throw tooDeep(file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const { parse, printParseErrorCode } = await import('jsonc-parser');
    const errors: import('jsonc-parser').ParseError[] = [];
    parse(text, errors, { allowTrailingComma: false, disallowComments: true });
    const first = errors[0];
    // Never Node's own message: it can quote the file's content (a symlinked /etc/shadow, say).
    const detail = first ? printParseErrorCode(first.error) : jsonProblem(err);
    throw new SessionFileError(file, first ? lineOf(text, first.offset) : undefined, `not valid JSON: ${detail}`, { cause: err });
  }
  await refuseDuplicateKeys(file, text);
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) summaryProblems.set(doc, await setAsideSummary(doc as Record<string, unknown>));
  const fn = await validator<SessionDoc>(null);
  if (!fn(doc)) {
    let line: number | undefined;
    const path = (fn.errors?.[0]?.instancePath ?? '')
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
    const { parseTree, findNodeAtLocation } = await import('jsonc-parser');
    const tree = parseTree(text);
    const node = tree && findNodeAtLocation(tree, path);
    if (node) line = lineOf(text, node.offset);
    const hint = (doc as { schema?: unknown })?.schema !== SCHEMA_NAME ? ' (is this a genwatt session file?)' : '';
    throw new SessionFileError(file, line, describeErrors(fn) + hint);
  }
  const d = doc;
  const tree = (await import('jsonc-parser')).parseTree(text);
  rowLines.set(d, (i) => {
    const node = tree && findNode(tree, ['rows', i]);
    return node ? lineOf(text, node.offset) : undefined;
  });
  sink.devices?.(d.devices, d.options.gapLimitMs);
  for (const k of BULK_KEYS) {
    for (const item of d[k]) sink.item(k, item);
    d[k] = [];
  }
  return d;
}

let findNode: typeof import('jsonc-parser').findNodeAtLocation;

/** JSON.parse keeps the last of two equal keys silently: a document that has any is refused, naming the line. */
async function refuseDuplicateKeys(file: string, text: string): Promise<void> {
  const jsonc = await import('jsonc-parser');
  findNode = jsonc.findNodeAtLocation;
  const open: Set<string>[] = [];
  let dup: { key: string; line: number } | undefined;
  jsonc.visit(text, {
    onObjectBegin: () => void open.push(new Set()),
    onObjectEnd: () => void open.pop(),
    onObjectProperty: (key, offset, _length, startLine) => {
      const keys = open[open.length - 1];
      if (dup || !keys) return;
      if (keys.has(key)) dup = { key, line: startLine + 1 };
      keys.add(key);
    },
  });
  if (dup) throw new SessionFileError(file, dup.line, `"${dup.key}" appears twice in one object: which one is meant cannot be told`);
}

/** Where the bulky items go; `reset` forgets them (the file turned out not to be in line layout and is read again whole). */
export interface BulkSink {
  item: BulkHandler;
  reset(): void;
  /** The devices and gap limit, announced before any bulky item. */
  devices?(devices: readonly DeviceInfo[], gapLimitMs: number): void;
}

export interface ReadDoc {
  doc: SessionDoc;
  /** Why the stored summary failed its schema and was set aside (it is recomputed from the rows). */
  summaryProblem: string | undefined;
  /** The line of `rows[i]`, for errors. */
  rowLine(index: number): number | undefined;
}

/** Reads a finished document; bulky items go to `sink` (the returned document has them empty). */
export async function readDoc(file: string, sink: BulkSink): Promise<ReadDoc> {
  let doc: SessionDoc;
  try {
    doc = await readLineLayout(file, sink);
  } catch (err) {
    if (!(err instanceof NotLineLayout)) throw err;
    sink.reset();
    doc = await readWhole(file, sink);
  }
  // The schema allows any words here (older and later versions): only reasons this version knows are kept.
  doc.run.endReason = endReasonOf(doc.run.endReason);
  return { doc, summaryProblem: summaryProblems.get(doc), rowLine: rowLines.get(doc) ?? (() => undefined) };
}
