/**
 * The generator's output as a session keeps it. Its last words on stderr matter most: when a run fails, its own error (`CUDA out of memory`, a
 * Python traceback's last line) is what the user needs, not only genwatt's "exit code 3". Kept
 * bounded (lines and characters) whatever the generator prints; lines arrive already redacted.
 */
import type { LogLine } from '../session/types.js';

const KEEP_LINES = 5;
/** Log lines kept in memory for a session that records nothing (a recording keeps them all). */
const KEEP_LOGS = 5000;
const LINE_CHARS = 240;

export class StderrTail {
  private readonly kept: string[] = [];

  add(line: string): void {
    const t = line.trimEnd();
    if (!t.trim()) return;
    this.kept.push(t.length > LINE_CHARS ? `${t.slice(0, LINE_CHARS - 1)}…` : t);
    if (this.kept.length > KEEP_LINES) this.kept.shift();
  }

  /** The last lines, oldest first. */
  lines(): string[] {
    return [...this.kept];
  }
}

/** The generator's output as the session keeps it: the first lines (bounded) and the stderr tail. */
export class GeneratorLog {
  readonly lines: LogLine[] = [];
  readonly stderrTail = new StderrTail();

  add(l: LogLine): void {
    if (this.lines.length < KEEP_LOGS) this.lines.push(l);
    if (l.stream === 'stderr') this.stderrTail.add(l.line);
  }
}
