/**
 * Crash-safe recording. While running, records go to `NAME.jsonl` (flushed at least every second,
 * at once for images and the end); on a normal end the whole session is written to `NAME.json`
 * through a temp file and a hard link, so an existing file is never overwritten and a reader never
 * sees half a document. A killed genwatt leaves the `.jsonl`, which `report` and `replay` read.
 * The recorder only writes what it is given: it listens to a session (session/record-listener.ts).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, linkSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { formatDoc, writeDocFromJournal } from './doc-writer.js';
import type { JournalContents } from './journal-reader.js';
import { finalTempPath, isChosenName, journalPath, nextName, RecordingExistsError } from './record-paths.js';
import { makeFolders } from './record-target.js';
import { removeStaleTemps } from './stale-temps.js';
import type { SessionDoc, SessionRecord } from './types.js';
import { timelineNow } from '../../probes/timeline.js';

export { formatDoc } from './doc-writer.js';
export { defaultRecordPath, journalPath, RecordingExistsError } from './record-paths.js';

export interface RecorderOptions {
  /** Flush period, ms (at most 1 s). */
  flushMs?: number;
  /** Called when a write fails (disk full, I/O error) and again once writing works again. */
  onWriteError?: (err: Error | null) => void;
  /** Unwritten records kept in memory while the disk refuses them; older ones are dropped beyond this. */
  maxPendingBytes?: number;
  /**
   * When the journal cannot be created now (a read-only or missing folder, a full disk), keep the
   * records in memory and create it at a later flush instead of throwing (`serve`: the folder may
   * come back). A name already taken still throws.
   */
  deferOpen?: boolean;
  /** Something the session should say (the journal restored after its folder was removed). */
  onNote?: (message: string) => void;
}

export class Recorder {
  readonly journal: string;
  /** The final file: the one asked for, or the next free name when genwatt chose it and another process took it. */
  readonly file: string;
  private fd: number | undefined;
  private buffer: string[] = [];
  private bufferBytes = 0;
  /** The final document could not be written for want of space (the journal is whole). */
  private finalFileRefused = false;

  private appendLine(line: string): void {
    try {
      const b = Buffer.from(`${line}\n`);
      let off = 0;
      while (off < b.length) off += writeSync(this.fd!, b, off);
    } catch {
      // nothing more fits
    }
  }

  /** Bytes of a write that failed part-way: written first, byte for byte, so no line is torn. */
  private carry: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finalized = false;
  private readonly opts: RecorderOptions;
  /** The write error now in force, if any. */
  writeError: Error | null = null;
  /** Records dropped because the disk refused them for too long. */
  lostRecords = 0;

  /** Opens `NAME.jsonl` exclusively; throws {@link RecordingExistsError} if either file exists. */
  constructor(file: string, flushMsOrOpts: number | RecorderOptions = 250) {
    this.opts = typeof flushMsOrOpts === 'number' ? { flushMs: flushMsOrOpts } : flushMsOrOpts;
    const renamable = isChosenName(file);
    for (let tries = 0; ; tries++) {
      try {
        this.openJournal(file);
        break;
      } catch (err) {
        const taken = err instanceof RecordingExistsError || (err as NodeJS.ErrnoException).code === 'EEXIST';
        if (!taken) {
          if (!this.opts.deferOpen) throw err;
          // Kept in memory until the folder takes it (flush tries again).
          this.unopened = true;
          this.writeError = err as Error;
          this.opts.onWriteError?.(err as Error);
          break;
        }
        if (!renamable || tries >= 1000) throw err instanceof RecordingExistsError ? err : new RecordingExistsError(journalPath(file));
        file = nextName(file);
      }
    }
    this.file = file;
    this.journal = journalPath(file);
    this.reserve = this.unopened ? null : makeReserve(this.journal);
    this.timer = setInterval(() => this.flush(), Math.min(this.opts.flushMs ?? 250, 1000));
    this.timer.unref?.();
  }

  /** The journal could not be created yet (deferOpen): records wait in memory. */
  private unopened = false;

  private openJournal(file: string): void {
    makeFolders(dirname(resolve(file)));
    removeStaleTemps(dirname(resolve(file)));
    if (existsSync(file)) throw new RecordingExistsError(file);
    // Read and write: a journal whose name is removed is copied back from this descriptor.
    this.fd = openSync(journalPath(file), 'wx+');
  }

  /** A little disk kept aside: if the disk fills up, it is given back to finish the journal cleanly. */
  private reserve: string | null;

  private dropReserve(): void {
    if (this.reserve) rmSync(this.reserve, { force: true });
    this.reserve = null;
  }

  /**
   * The disk is full at the end: the reserve is given back, and the journal gets its torn line
   * completed, a note saying how many records the disk refused, and the end record, so a reader says
   * "disk full", not "killed?".
   */
  private closeOnFullDisk(): void {
    if (!this.reserve || this.fd === undefined || (this.writeError as NodeJS.ErrnoException | null)?.code !== 'ENOSPC') return;
    this.dropReserve();
    if (this.flush()) {
      this.appendLine(
        JSON.stringify({
          type: 'note',
          tMs: timelineNow(),
          source: 'recorder',
          message:
            'disk full: the journal was finished in the space kept aside for it; the final file could not be written, so this journal is the whole recording',
        }),
      );
      return;
    }
    const end = [...this.buffer].reverse().find((l) => l.startsWith('{"type":"end"'));
    let inCarry = 0;
    if (this.carry) for (const b of this.carry) if (b === 10) inCarry++;
    const lost = this.buffer.length + Math.max(0, inCarry - 1) - (end ? 1 : 0);
    const note = JSON.stringify({
      type: 'note',
      tMs: timelineNow(),
      source: 'recorder',
      message: `disk full: the disk refused ${lost} records; the journal ends here`,
    });
    const tail = Buffer.concat([
      this.carry?.subarray(0, this.carry.indexOf(10) + 1 || this.carry.length) ?? Buffer.alloc(0),
      Buffer.from(`${this.carry && !this.carry.includes(10) ? '\n' : ''}${note}\n${end ? `${end}\n` : ''}`),
    ]);
    try {
      let off = 0;
      while (off < tail.length) off += writeSync(this.fd, tail, off);
      this.lostRecords += lost;
      this.buffer = [];
      this.carry = undefined;
    } catch {
      // even the reserve was not enough: the reader will say the journal is torn
    }
  }

  write(rec: SessionRecord, urgent = false): void {
    if (this.finalized || (this.fd === undefined && !this.unopened)) return;
    const line = JSON.stringify(rec);
    this.buffer.push(line);
    this.bufferBytes += line.length + 1;
    const cap = this.opts.maxPendingBytes ?? 32 * 1024 * 1024;
    // Only while the disk refuses writes can the buffer grow this far: drop the oldest records, count them.
    while (this.bufferBytes > cap && this.buffer.length > 1) {
      this.bufferBytes -= this.buffer.shift()!.length + 1;
      this.lostRecords++;
    }
    if (urgent) this.flush();
  }

  /**
   * Writes what is buffered. Never throws: a failed write (ENOSPC, EIO) keeps the records in memory
   * and is retried at the next flush. Returns true when everything written so far is on disk.
   */
  flush(): boolean {
    if (this.unopened) {
      try {
        this.openJournal(this.file);
        this.unopened = false;
        this.reserve = makeReserve(this.journal);
      } catch (err) {
        if (!this.writeError) {
          this.writeError = err as Error;
          this.opts.onWriteError?.(err as Error);
        }
        return false;
      }
    }
    if (this.fd === undefined) return this.buffer.length === 0 && !this.carry;
    if (this.buffer.length === 0 && !this.carry) return true;
    let buf = this.carry ?? Buffer.alloc(0);
    if (this.buffer.length > 0) {
      buf = Buffer.concat([buf, Buffer.from(this.buffer.join('\n') + '\n')]);
      this.buffer = [];
      this.bufferBytes = 0;
    }
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off);
      this.carry = undefined;
      // Once a second: is the journal still there under its name? (A removed folder is made again.)
      const now = timelineNow();
      if (now - this.lastLinkCheckMs >= 1000) {
        this.lastLinkCheckMs = now;
        this.restoreJournal();
      }
      if (this.writeError) {
        this.writeError = null;
        this.opts.onWriteError?.(null);
      }
      return true;
    } catch (err) {
      this.carry = buf.subarray(off);
      if (!this.writeError) {
        this.writeError = err as Error;
        this.opts.onWriteError?.(err as Error);
      }
      return false;
    }
  }

  /** Links a written temp file into place as NAME.json (never over an existing file), then drops the journal. */
  private publish(tmp: string): void {
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
    this.dropReserve();
  }

  private syncJournal(): void {
    // A removed journal is restored first, so what the session says about it is written with the rest.
    this.restoreJournal();
    if (!this.flush()) throw this.writeError ?? new Error('journal not fully written');
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  /**
   * The journal's name is gone (its folder removed during the run, or the file deleted) while genwatt
   * still holds it open: the folder is made again and the journal copied back from the open file,
   * with a note saying so, so the recording is finished whole instead of pointing at a file that
   * no longer exists.
   */
  private restoreJournal(): void {
    if (this.fd === undefined || fstatSync(this.fd).nlink > 0) return;
    const old = this.fd;
    makeFolders(dirname(resolve(this.journal)));
    const fresh = openSync(this.journal, 'wx+');
    try {
      const chunk = Buffer.alloc(1 << 20);
      let pos = 0;
      for (let n; (n = readSync(old, chunk, 0, chunk.length, pos)) > 0; pos += n) {
        let off = 0;
        while (off < n) off += writeSync(fresh, chunk, off, n - off);
      }
    } catch (err) {
      closeSync(fresh);
      unlinkSync(this.journal);
      throw err;
    }
    closeSync(old);
    this.fd = fresh;
    this.reserve ??= makeReserve(this.journal);
    this.opts.onNote?.(
      `the recording folder (or the journal) was removed during the session: ${dirname(resolve(this.journal))} was made again and the journal restored from the open file; nothing was lost`,
    );
  }

  private lastLinkCheckMs = 0;

  /** Writes a document held in memory to NAME.json (temp + link: never overwrites), then drops the journal. */
  finalize(doc: SessionDoc): void {
    if (this.finalized) return;
    this.syncJournal();
    const tmp = finalTempPath(this.file);
    const fd = openSync(tmp, 'wx');
    try {
      let off = 0;
      const text = Buffer.from(formatDoc(doc));
      while (off < text.length) off += writeSync(fd, text, off);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    this.publish(tmp);
  }

  /**
   * Writes NAME.json from the journal itself (streamed: bounded memory whatever its size), then drops
   * the journal. Returns what the journal holds besides its samples (rows, summary, run).
   */
  async finalizeFromJournal(): Promise<JournalContents> {
    if (this.finalized) throw new Error(`${this.file} is already finalized`);
    this.syncJournal();
    const tmp = finalTempPath(this.file);
    let contents: JournalContents;
    try {
      contents = await writeDocFromJournal(this.journal, tmp);
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
        this.finalFileRefused = true;
        this.writeError ??= err as Error;
      }
      throw err;
    }
    this.publish(tmp);
    return contents;
  }

  /** Stops writing and leaves the journal as it is (used when finalizing fails). Never throws. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.fd !== undefined) {
      if (!this.flush() || this.finalFileRefused) this.closeOnFullDisk();
      if (this.buffer.length || this.carry) {
        let inCarry = 0;
        if (this.carry) for (const b of this.carry) if (b === 10) inCarry++;
        this.lostRecords += this.buffer.length + inCarry;
        this.buffer = [];
        this.carry = undefined;
      }
      try {
        closeSync(this.fd);
      } catch {
        // nothing more can be done for a descriptor the kernel refuses to close
      }
      this.fd = undefined;
    }
    this.dropReserve();
  }
}

/** Bytes kept aside per recording for finishing its journal on a full disk. */
const RESERVE_BYTES = 64 * 1024;

/** Creates the reserve beside the journal (a genwatt temp file: removed if a killed genwatt left it); null if the disk has no room. */
function makeReserve(journal: string): string | null {
  const file = join(dirname(resolve(journal)), `.${basename(journal)}.reserve.${process.pid}-${Date.now()}.genwatt.tmp`);
  try {
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, Buffer.alloc(RESERVE_BYTES));
    } finally {
      closeSync(fd);
    }
    return file;
  } catch {
    rmSync(file, { force: true });
    return null;
  }
}
