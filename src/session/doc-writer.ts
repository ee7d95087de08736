/**
 * The finished document, written one top-level key a line group and one array item a line (the
 * layout doc-reader.ts streams). From a journal it is written in two streaming passes, never holding
 * the samples: the first reads and validates every record and computes the rows; the second copies
 * the samples, gaps, logs and notes into place. A journal of any size finalizes in bounded memory.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readJournalStream, type JournalContents } from './journal-reader.js';
import { textLines, type TextSource } from './text-lines.js';
import type { SessionDoc } from './types.js';

/** Session document as text: one top-level key a line group, one array item a line. */
export function formatDoc(doc: SessionDoc): string {
  const parts = Object.entries(doc).map(([k, v]) => {
    if (Array.isArray(v)) return `  ${JSON.stringify(k)}: ${v.length === 0 ? '[]' : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`}`;
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

/** Buffered writes to a file (a few large writes instead of one per line). */
class Out {
  private parts: string[] = [];
  private bytes = 0;
  readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'wx');
  }
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
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** One array of the document, written as its items come: `[` + items a line each + `]`. */
class ArrayOut {
  private n = 0;
  constructor(private readonly out: Out) {}
  item(json: string): void {
    this.out.write(`${this.n++ === 0 ? '\n' : ',\n'}    ${json}`);
  }
  get count(): number {
    return this.n;
  }
}

/** The array item of a journal line: the record without its type (text surgery when genwatt wrote it). */
function itemText(line: string, type: string): string {
  const prefix = `{"type":"${type}",`;
  if (line.startsWith(prefix)) return `{${line.slice(prefix.length)}`;
  const { type: _t, ...body } = JSON.parse(line) as Record<string, unknown>;
  return JSON.stringify(body);
}

/** Copies a spool file (array items, one per line) into `out` as `key: [...]`. */
async function appendArray(out: Out, key: string, spool: string, count: number, last: boolean): Promise<void> {
  out.write(`  ${JSON.stringify(key)}: [`);
  if (count > 0) {
    out.flush();
    let first = true;
    for await (const { text } of textLines(spool)) {
      out.write(`${first ? '\n' : ',\n'}    ${text}`);
      first = false;
    }
    out.write('\n  ');
  }
  out.write(last ? ']\n}\n' : '],\n');
}

const SPOOLED = ['gaps', 'images', 'rows', 'logs', 'notes'] as const;

/**
 * Writes the document a journal rebuilds to into `out` (created exclusively), in two streaming
 * passes: a scan (validation, header, idle, end), then the build: samples straight into place, the
 * other arrays through spool files beside `out` (appended in order, then removed). Returns the
 * journal's contents (summary, run; rows are in the file, not in memory).
 */
export async function writeDocFromJournal(journal: TextSource, out: string): Promise<JournalContents> {
  const scan = await readJournalStream(journal, {}, { rows: 'none' });
  const h = scan.header;
  const dir = dirname(out);
  const stamp = `${process.pid}-${Date.now()}`;
  const spools = Object.fromEntries(SPOOLED.map((k) => [k, join(dir, `.${basename(out)}.${k}.${stamp}.genwatt.tmp`)])) as Record<
    (typeof SPOOLED)[number],
    string
  >;
  const o = new Out(out);
  const files: Out[] = [];
  try {
    const spool = Object.fromEntries(
      SPOOLED.map((k) => {
        const f = new Out(spools[k]);
        files.push(f);
        return [
          k,
          {
            file: f,
            n: 0,
            add(json: string) {
              f.write(`${json}\n`);
              this.n++;
            },
          },
        ];
      }),
    ) as Record<(typeof SPOOLED)[number], { file: Out; n: number; add(json: string): void }>;
    const head: [string, unknown][] = [
      ['schema', h.schema],
      ['schemaVersion', h.schemaVersion],
      ['genwatt', h.genwatt],
      ['startedAt', h.startedAt],
      ['endedAt', scan.endedAt],
      ['complete', scan.finished],
      ['host', h.host],
      ['devices', h.devices],
      ['probes', h.probes],
      ['options', h.options],
      ['run', h.run],
      ['idle', scan.idle],
    ];
    o.write(`{\n${head.map(([k, v]) => keyText(k, v)).join(',\n')},\n  "samples": [`);
    const samples = new ArrayOut(o);
    const c = await readJournalStream(
      journal,
      {
        sample: (_r, line) => samples.item(itemText(line, 'sample')),
        gap: (_g, line) => spool.gaps.add(itemText(line, 'gap')),
        log: (_l, line) => spool.logs.add(itemText(line, 'log')),
        note: (_n, line) => spool.notes.add(itemText(line, 'note')),
        image: (e) => spool.images.add(JSON.stringify(e)),
        row: (r) => spool.rows.add(JSON.stringify(r)),
      },
      { rows: 'stream', idle: scan.idle },
    );
    o.write(samples.count ? '\n  ],\n' : '],\n');
    for (const f of files) f.flush();
    await appendArray(o, 'gaps', spools.gaps, spool.gaps.n, false);
    await appendArray(o, 'images', spools.images, spool.images.n, false);
    await appendArray(o, 'rows', spools.rows, spool.rows.n, false);
    o.write(`${keyText('summary', c.summary)},\n`);
    await appendArray(o, 'logs', spools.logs, spool.logs.n, false);
    await appendArray(o, 'notes', spools.notes, spool.notes.n, true);
    // The second pass read the same file: what it completed (run end, tags) is the scan's.
    return { ...c, header: h, idle: scan.idle, endedAt: scan.endedAt, finished: scan.finished, warnings: scan.warnings };
  } finally {
    o.close();
    for (const f of files) f.close();
    for (const p of Object.values(spools)) rmSync(p, { force: true });
  }
}

/** `  "key": value` as formatDoc writes it. */
function keyText(k: string, v: unknown): string {
  return `  ${JSON.stringify(k)}: ${Array.isArray(v) ? (v.length === 0 ? '[]' : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`) : JSON.stringify(v)}`;
}
