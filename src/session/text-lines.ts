/**
 * A file's lines, streamed: memory holds one chunk and one line, whatever the file's size. A line
 * longer than the cap is an error naming its number, not an allocation of gigabytes. Reading yields
 * to the event loop between chunks, so sampling goes on while a large recording is read.
 */
import { read } from 'node:fs';
import { open } from 'node:fs/promises';

export interface TextLine {
  /** 1-based line number. */
  n: number;
  text: string;
  /** False for a last line without a newline (a writer stopped mid-line). */
  terminated: boolean;
}

export class LineTooLongError extends Error {
  constructor(
    readonly line: number,
    readonly maxBytes: number,
  ) {
    super(`line ${line} is longer than ${Math.round(maxBytes / 1048576)} MiB`);
  }
}

/** Longest line genwatt reads: a session record is a few hundred bytes; a whole document line a few MB. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A file by path, or one already opened (and checked) by the caller: read from its start, left open. */
export type TextSource = string | { fd: number; name: string };

export const sourceName = (s: TextSource): string => (typeof s === 'string' ? s : s.name);

/** Reads up to `buf.length` bytes at `pos` from an fd (its own position untouched). */
function readAt(fd: number, buf: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

export async function* textLines(file: TextSource, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<TextLine> {
  // Positioned reads of 256 KiB: a large file is read in slices of a few milliseconds each, so timers
  // keep firing; a caller's descriptor is read from its start and left open for the caller.
  const own = typeof file === 'string' ? await open(file, 'r') : undefined;
  const fd = own ? own.fd : (file as { fd: number }).fd;
  const chunk = Buffer.allocUnsafe(1 << 18);
  let parts: Buffer[] = [];
  let partBytes = 0;
  let n = 0;
  let pos = 0;
  try {
    for (;;) {
      const got = await readAt(fd, chunk, pos);
      if (got === 0) break;
      pos += got;
      const data = chunk.subarray(0, got);
      let from = 0;
      for (let nl = data.indexOf(10, from); nl >= 0; nl = data.indexOf(10, from)) {
        const piece = data.subarray(from, nl);
        if (partBytes + piece.length > maxLineBytes) throw new LineTooLongError(n + 1, maxLineBytes);
        const text = partBytes ? Buffer.concat([...parts, piece]).toString('utf8') : piece.toString('utf8');
        parts = [];
        partBytes = 0;
        n++;
        yield { n, text, terminated: true };
        from = nl + 1;
      }
      if (from < data.length) {
        const rest = data.subarray(from);
        partBytes += rest.length;
        if (partBytes > maxLineBytes) throw new LineTooLongError(n + 1, maxLineBytes);
        parts.push(Buffer.from(rest)); // a copy: the chunk buffer is reused
      }
    }
    if (partBytes > 0) yield { n: n + 1, text: Buffer.concat(parts).toString('utf8'), terminated: false };
  } finally {
    await own?.close();
  }
}
