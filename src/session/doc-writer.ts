/**
 * The finished document, written one top-level key a line group and one array item a line (the
 * layout doc-reader.ts streams). From a journal it is written in two streaming passes, never holding
 * the samples: the first reads and validates every record and computes the rows; the second copies
 * the samples, gaps, logs and notes into place. A journal of any size finalizes in bounded memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { readJournalStream, type JournalContents } from './journal-reader.js';
import { textLines } from './text-lines.js';
import type { SessionDoc } from './types.js';

/** Session document as text: one top-level key a line group, one array item a line. */
export function formatDoc(doc: SessionDoc): string {
  const parts = Object.entries(doc).map(([k, v]) => {
    if (Array.isArray(v)) return `  ${JSON.stringify(k)}: ${v.length === 0 ? '[]' : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`}`;
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

/** Buffered writes to a file descriptor (a few large writes instead of one per line). */
class Out {
  private parts: string[] = [];
  private bytes = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.bytes += s.length;
    if (this.bytes > 1 << 20) this.flush();
  }
  flush(): void {
    if (!this.parts.length) return;
    const buf = Buffer.from(this.parts.join(''));
    this.parts = [];
    this.bytes = 0;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
  }
}

const BULK = ['samples', 'gaps', 'logs', 'notes'] as const;
type Bulk = (typeof BULK)[number];
const TYPE_OF: Record<Bulk, string> = { samples: 'sample', gaps: 'gap', logs: 'log', notes: 'note' };
const KIND_OF = new Map<string, Bulk>(BULK.map((k) => [TYPE_OF[k], k]));

/** The array item of a journal line: the record without its type (text surgery when genwatt wrote it). */
function itemText(line: string, type: string): string {
  const prefix = `{"type":"${type}",`;
  if (line.startsWith(prefix)) return `{${line.slice(prefix.length)}`;
  const { type: _t, ...body } = JSON.parse(line) as Record<string, unknown>;
  return JSON.stringify(body);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The journal line's record type, cheaply (genwatt writes `type` first), else parsed. */
function typeOf(line: string): string | undefined {
  const m = /^\{"type":"([a-z-]+)"/.exec(line);
  if (m) return m[1];
  try {
    const t = (JSON.parse(line) as { type?: unknown }).type;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the document a journal rebuilds to into `out` (created exclusively). Returns what the first
 * pass read (rows, summary, run), so the caller needs no third look at the file.
 */
export async function writeDocFromJournal(journal: string, out: string): Promise<JournalContents> {
  const c = await readJournalStream(journal);
  const h = c.header;
  // Where each bulky array goes: samples straight into the file, the rest to spools, appended in order.
  const fd = openSync(out, 'wx');
  try {
    const o = new Out(fd);
    const head: [string, unknown][] = [
      ['schema', h.schema],
      ['schemaVersion', h.schemaVersion],
      ['genwatt', h.genwatt],
      ['startedAt', h.startedAt],
      ['endedAt', c.endedAt],
      ['complete', c.finished],
      ['host', h.host],
      ['devices', h.devices],
      ['probes', h.probes],
      ['options', h.options],
      ['run', h.run],
      ['idle', c.idle],
    ];
    const key = (k: string, v: unknown) => `  ${JSON.stringify(k)}: ${Array.isArray(v) ? (v.length === 0 ? '[]' : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`) : JSON.stringify(v)}`;
    o.write(`{\n${head.map(([k, v]) => key(k, v)).join(',\n')},\n`);
    for (const kind of BULK) {
      if (kind === 'logs') o.write(`${key('images', c.images)},\n${key('rows', c.rows)},\n${key('summary', c.summary)},\n`);
      await copyArray(journal, kind, o);
      o.write(kind === 'notes' ? '\n}\n' : ',\n');
    }
    o.flush();
  } finally {
    closeSync(fd);
  }
  return c;
}

/** One pass over the journal copying one kind of record as the array `kind`. */
async function copyArray(journal: string, kind: Bulk, o: Out): Promise<void> {
  const type = TYPE_OF[kind];
  let n = 0;
  o.write(`  ${JSON.stringify(kind)}: [`);
  for await (const { text, terminated } of textLines(journal)) {
    if (!text.startsWith('{')) continue;
    if (!terminated && !parses(text)) continue; // a torn last line: left out by the first pass too
    const t = typeOf(text);
    if (t === undefined || KIND_OF.get(t) !== kind) continue;
    o.write(`${n++ === 0 ? '\n' : ',\n'}    ${itemText(text, type)}`);
  }
  o.write(n === 0 ? ']' : '\n  ]');
}
