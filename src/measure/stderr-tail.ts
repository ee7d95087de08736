/**
 * The generator's last words on stderr: when a run fails, its own error (`CUDA out of memory`, a
 * Python traceback's last line) is what the user needs, not only genwatt's "exit code 3". Kept
 * bounded (lines and characters) whatever the generator prints; lines arrive already redacted.
 */
const KEEP_LINES = 5;
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
