/** A fake terminal stream for Ink: a size, a TTY flag, and every frame written. */
import { EventEmitter } from 'node:events';

export class FakeStdout extends EventEmitter {
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
    public isTTY = true,
  ) {
    super();
  }
  write = (s: string): boolean => {
    this.frames.push(s);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
  /** Text of the last frame, ANSI codes removed. */
  last(): string {
    return (
      this.frames
        .map(stripAnsi)
        .filter((f) => f.trim())
        .at(-1) ?? ''
    );
  }
}

export class FakeStdin extends EventEmitter {
  isTTY: boolean;
  data: string | null = null;
  constructor(isTTY = true) {
    super();
    this.isTTY = isTTY;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  /** Types keys (Ink reads them on `readable`). */
  type(s: string): void {
    this.data = s;
    this.emit('readable');
    this.emit('data', s);
  }
}

export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b\][^\x07]*\x07/g, '');
}

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
