/**
 * The one sanitiser for every line genwatt prints outside the dashboard: file names, tags, device
 * names, argv, hosts, notes, a generator's or a vendor tool's output and error messages all reach
 * the terminal through process.stdout/stderr, so genwatt guards those two streams themselves. Control
 * characters (an OSC 52 sequence in a file name writes the operator's clipboard; BEL; a lone CR
 * rewrites the line) and bidirectional overrides (U+202E shows text other than what it is) become
 * `?`; newlines, tabs and CRLF line ends stay. The dashboard draws its own escape sequences, from text it has
 * already made printable (text-width.ts): while it is mounted the guard lets writes through.
 */
import { printable } from './text-width.js';
import { asciiSymbols } from './ascii-symbols.js';

let raw = 0;

/** Lets writes through unguarded while `fn`'s frame is drawn (the Ink host: its own escapes). */
export function rawOutput(on: boolean): void {
  raw = Math.max(0, raw + (on ? 1 : -1));
}

/** A chunk of output with every line made printable (newlines and tabs kept). */
export function guardText(s: string): string {
  // The common case (plain ASCII lines) costs one test.
  if (/^[\x20-\x7e\n\t]*$/.test(s)) return s;
  const safe = (x: string) =>
    x
      .split('\t')
      .map((y) => printable(y))
      .join('\t');
  // CRLF line ends (CSV) stay; a lone CR would rewrite the line.
  return s
    .split('\n')
    .map((line) => (line.endsWith('\r') ? `${safe(line.slice(0, -1))}\r` : safe(line)))
    .join('\n');
}

/** JSON text with the bidirectional controls escaped (JSON.stringify leaves them raw; the data stays the same). */
export function jsonGuard(json: string): string {
  return json.replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Write = NodeJS.WriteStream['write'];

/** Written alone at exit by Ink's cursor restore (restore-cursor): the one escape a guarded stream lets pass. */
const SHOW_CURSOR = '\x1b[?25h';

/**
 * Guards process.stdout and process.stderr (once, at start-up). `ascii` (a locale that is not UTF-8):
 * genwatt's own symbols are written in ASCII (ascii-symbols.ts).
 */
export function installOutputGuard(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr], opts: { ascii?: boolean } = {}): void {
  const text = opts.ascii ? (x: string) => asciiSymbols(guardText(x)) : guardText;
  for (const s of streams) {
    const original = s.write.bind(s) as (chunk: unknown, ...rest: unknown[]) => boolean;
    const guarded = (chunk: unknown, ...rest: unknown[]): boolean => {
      if (raw === 0 && chunk !== SHOW_CURSOR) {
        if (typeof chunk === 'string') chunk = text(chunk);
        else if (chunk instanceof Uint8Array) chunk = text(Buffer.from(chunk).toString('utf8'));
      }
      return original(chunk, ...rest);
    };
    s.write = guarded as Write;
  }
}
