/**
 * One long-lived vendor tool that prints a line (or a block) per sample (tegrastats, powermetrics,
 * macmon pipe, nvidia-smi -lms): started once for the session, never per sample. A stall (no good
 * data for `stallMs`: the handler calls `healthy()` for each good line, so garbage does not count)
 * or an exit is reported as a gap with the tool's last stderr line, and the tool is restarted with
 * back-off (0.5 s doubling to 30 s; reset after 10 s of health).
 */
import { basename } from 'node:path';
import type { ResultPromise } from 'execa';

export interface StreamToolOptions {
  stallMs: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

export interface StreamHandlers {
  line(line: string, arrivalMs: number): void;
  /** The tool stalled or ended; it will be restarted. */
  gap(reason: string): void;
}

export class StreamTool {
  private child: ResultPromise | undefined;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastOutputMs = 0;
  private backoffMs: number;
  private healthySinceMs = 0;

  constructor(
    readonly cmd: string,
    public args: readonly string[],
    private readonly opts: StreamToolOptions,
  ) {
    this.backoffMs = opts.backoffMs ?? 500;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  start(h: StreamHandlers): void {
    this.closed = false;
    void this.spawn(h);
    this.watchdog = setInterval(() => {
      if (this.child && this.now() - this.lastOutputMs > this.opts.stallMs) {
        h.gap(`${basename(this.cmd)} stalled (no line for ${Math.round(this.now() - this.lastOutputMs)} ms); restarting`);
        this.lastOutputMs = this.now();
        this.child.kill('SIGKILL');
      }
    }, Math.max(100, Math.min(1000, this.opts.stallMs / 4)));
    this.watchdog.unref?.();
  }

  /** The tool produced good data: it is not stalled, and back-off resets once it has been healthy for 10 s. */
  healthy(): void {
    const t = this.now();
    this.lastOutputMs = t;
    if (this.healthySinceMs === 0) this.healthySinceMs = t;
    else if (t - this.healthySinceMs > 10000) this.backoffMs = this.opts.backoffMs ?? 500;
  }

  private async spawn(h: StreamHandlers): Promise<void> {
    const { execa } = await import('execa');
    if (this.closed) return;
    const child = execa(this.cmd, [...this.args], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
    this.child = child;
    this.lastOutputMs = this.now();
    let pending = '';
    let stderrTail = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        h.line(line, this.now());
      }
      if (pending.length > 1 << 20) pending = ''; // no newline in 1 MB: garbage
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-500);
    });
    const result = await child;
    if (this.child === child) this.child = undefined;
    if (this.closed) return;
    this.healthySinceMs = 0;
    const e = result as { code?: string; exitCode?: number; signal?: string };
    const why = e.code === 'ENOENT' ? 'not found on PATH' : e.exitCode !== undefined ? `exit code ${e.exitCode}` : `signal ${e.signal ?? '?'}`;
    const err = stderrTail.trim().split('\n').pop();
    h.gap(`${basename(this.cmd)} ended (${why}${err ? `: ${err}` : ''}); restarting in ${this.backoffMs} ms`);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30000);
    this.restartTimer = setTimeout(() => void this.spawn(h), delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.kill('SIGTERM');
      await Promise.race([child.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
}

/** Runs a tool until its first output line that `accept` takes, or the timeout; used by detection. */
export async function firstLine(cmd: string, args: readonly string[], accept: (line: string) => boolean, timeoutMs: number): Promise<{ line: string } | { error: string; missing: boolean }> {
  const { execa } = await import('execa');
  const child = execa(cmd, [...args], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderrTail = (stderrTail + c).slice(-500)));
  return new Promise((resolve) => {
    let pending = '';
    let done = false;
    const finish = (v: { line: string } | { error: string; missing: boolean }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(v);
    };
    const timer = setTimeout(() => finish({ error: `${cmd} printed nothing usable within ${timeoutMs} ms`, missing: false }), timeoutMs);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (accept(line)) return finish({ line });
      }
    });
    void child.then((r) => {
      const e = r as { code?: string; exitCode?: number };
      const missing = e.code === 'ENOENT';
      const err = stderrTail.trim().split('\n').pop();
      finish({ error: missing ? `${cmd} not found on PATH` : `${cmd} ended before printing a sample (${e.exitCode !== undefined ? `exit code ${e.exitCode}` : 'killed'}${err ? `: ${err}` : ''})`, missing });
    });
  });
}
