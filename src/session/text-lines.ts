/**
 * A file's lines, streamed: memory holds one chunk and one line, whatever the file's size. A line
 * longer than the cap is an error naming its number, not an allocation of gigabytes. Reading yields
 * to the event loop between chunks, so sampling goes on while a large recording is read.
 */
import { createReadStream } from 'node:fs';

export interface TextLine {
  /** 1-based line number. */
  n: number;
  text: string;
  /** False for a last line without a newline (a writer stopped mid-line). */
  terminated: boolean;
}

export class LineTooLongError extends Error {
  constructor(readonly line: number, readonly maxBytes: number) {
    super(`line ${line} is longer than ${Math.round(maxBytes / 1048576)} MiB`);
  }
}

/** Longest line genwatt reads: a session record is a few hundred bytes; a whole document line a few MB. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export async function* textLines(file: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<TextLine> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let parts: Buffer[] = [];
  let partBytes = 0;
  let n = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
        const piece = chunk.subarray(from, nl);
        if (partBytes + piece.length > maxLineBytes) throw new LineTooLongError(n + 1, maxLineBytes);
        const buf = partBytes ? Buffer.concat([...parts, piece]) : piece;
        parts = [];
        partBytes = 0;
        n++;
        yield { n, text: buf.toString('utf8'), terminated: true };
        from = nl + 1;
      }
      if (from < chunk.length) {
        const rest = chunk.subarray(from);
        partBytes += rest.length;
        if (partBytes > maxLineBytes) throw new LineTooLongError(n + 1, maxLineBytes);
        parts.push(Buffer.from(rest)); // the stream reuses nothing, but keep only what is needed
      }
    }
    if (partBytes > 0) yield { n: n + 1, text: Buffer.concat(parts).toString('utf8'), terminated: false };
  } finally {
    stream.destroy();
  }
}
