/**
 * Crash-safe recording. While running, records go to `NAME.jsonl` (flushed at least every second,
 * at once for images and the end); on a normal end the whole session is written to `NAME.json`
 * through a temp file and a hard link, so an existing file is never overwritten and a reader never
 * sees half a document. A killed genwatt leaves the `.jsonl`, which `report` and `replay` read.
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SessionDoc, SessionRecord } from './session-types.js';

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
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  for (let i = 0; ; i++) {
    const p = resolve(dir, `${stamp}-${mode}${i ? `-${i}` : ''}.json`);
    if (!existsSync(p) && !existsSync(journalPath(p))) return p;
  }
}

/** Session document as text: one top-level key a line group, one array item a line. */
export function formatDoc(doc: SessionDoc): string {
  const parts = Object.entries(doc).map(([k, v]) => {
    if (Array.isArray(v)) return `  ${JSON.stringify(k)}: ${v.length === 0 ? '[]' : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`}`;
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

export class Recorder {
  readonly journal: string;
  private fd: number | undefined;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private finalized = false;

  /** Opens `NAME.jsonl` exclusively; throws {@link RecordingExistsError} if either file exists. */
  constructor(readonly file: string, flushMs = 250) {
    if (existsSync(file)) throw new RecordingExistsError(file);
    this.journal = journalPath(file);
    mkdirSync(dirname(resolve(file)), { recursive: true });
    try {
      this.fd = openSync(this.journal, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RecordingExistsError(this.journal);
      throw err;
    }
    this.timer = setInterval(() => this.flush(), Math.min(flushMs, 1000));
    this.timer.unref?.();
  }

  write(rec: SessionRecord, urgent = false): void {
    if (this.finalized) return;
    this.buffer.push(JSON.stringify(rec));
    if (urgent) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.buffer.length === 0) return;
    const text = this.buffer.join('\n') + '\n';
    this.buffer = [];
    writeSync(this.fd, text);
  }

  /** Writes the whole document to NAME.json (temp + link: never overwrites), then drops the journal. */
  finalize(doc: SessionDoc): void {
    if (this.finalized) return;
    this.flush();
    if (this.fd !== undefined) fsyncSync(this.fd);
    const tmp = join(dirname(resolve(this.file)), `.${process.pid}-${Date.now()}.genwatt.tmp`);
    const fd = openSync(tmp, 'wx');
    try {
      writeSync(fd, formatDoc(doc));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, this.file);
    } catch (err) {
      unlinkSync(tmp);
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RecordingExistsError(this.file);
      throw err;
    }
    unlinkSync(tmp);
    this.finalized = true;
    this.close();
    unlinkSync(this.journal);
  }

  /** Stops writing and leaves the journal as it is (used when finalizing fails). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.fd !== undefined) {
      try {
        this.flush();
      } finally {
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
  }
}
