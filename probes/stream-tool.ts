/**
 * One long-lived vendor tool that prints a line (or a block) per sample (tegrastats, powermetrics,
 * macmon pipe, nvidia-smi -lms): started once for the session, never per sample. The probe only
 * judges each line; this class does the rest the same way for every tool: a stall (no good line
 * for `stallMs`, so garbage alone counts as silence) or an exit is one gap per outage for the
 * probe's devices, with the tool's last stderr line, and a restart with back-off (0.5 s doubling to
 * 30 s, reset after 10 s of health); garbage lines are noted (the first five, then every 100th).
 */
import { basename } from 'node:path';
import type { ResultPromise } from 'execa';
import type { ProbeName, ReadingSink } from './types.js';
import { timelineNow } from './timeline.js';

export interface StreamToolOptions {
  stallMs: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

/** What a line was: a good sample (`ok`), garbage (`bad`), or neither (a blank, part of a block). */
export type LineVerdict = 'ok' | 'bad' | 'skip';

export interface StreamReport {
  probe: ProbeName;
  sink: ReadingSink;
  /** The devices a gap concerns (none known: reported as `*`). */
  deviceIds: () => readonly string[];
}

/** Calls `onLine` for every complete line of a text stream (CR stripped; 1 MB without a newline is dropped). */
export function eachLine(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      onLine(line);
    }
    if (pending.length > 1 << 20) pending = '';
  });
}

export class StreamTool {
  private child: ResultPromise | undefined;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastGoodMs = 0;
  private backoffMs: number;
  private healthySinceMs = 0;
  private inGap = false;
  private badLines = 0;

  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    private readonly opts: StreamToolOptions,
  ) {
    this.backoffMs = opts.backoffMs ?? 500;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : timelineNow();
  }

  private report: StreamReport | undefined;

  start(line: (line: string, arrivalMs: number) => LineVerdict, report: StreamReport): void {
    this.closed = false;
    this.report = report;
    const gap = (reason: string) => {
      if (this.inGap) return;
      this.inGap = true;
      const tMs = this.now();
      const ids = report.deviceIds();
      for (const deviceId of ids.length ? ids : ['*']) report.sink.gap({ deviceId, probe: report.probe, tMs, reason });
      report.sink.note?.(report.probe, reason);
    };
    const onLine = (text: string) => {
      let verdict: LineVerdict;
      try {
        verdict = line(text, this.now());
      } catch {
        verdict = 'bad'; // a parser bug must cost one sample, never the process
      }
      if (verdict === 'ok') this.good();
      else if (verdict === 'bad') {
        this.badLines++;
        if (this.badLines <= 5 || this.badLines % 100 === 0)
          report.sink.note?.(report.probe, `unparseable ${basename(this.cmd)} line #${this.badLines}: ${text.slice(0, 120)}`);
      }
    };
    this.spawn(onLine, gap).catch((err: unknown) => gap(`${basename(this.cmd)} could not be started: ${(err as Error).message}`));
    this.watchdog = setInterval(
      () => {
        if (this.child && this.now() - this.lastGoodMs > this.opts.stallMs) {
          gap(`${basename(this.cmd)} stalled (no line for ${Math.round(this.now() - this.lastGoodMs)} ms); restarting`);
          this.lastGoodMs = this.now();
          this.child.kill('SIGKILL');
        }
      },
      Math.max(100, Math.min(1000, this.opts.stallMs / 4)),
    );
    this.watchdog.unref?.();
  }

  private good(): void {
    const t = this.now();
    this.lastGoodMs = t;
    this.inGap = false;
    if (this.healthySinceMs === 0) this.healthySinceMs = t;
    else if (t - this.healthySinceMs > 10000) this.backoffMs = this.opts.backoffMs ?? 500;
  }

  private async spawn(onLine: (line: string) => void, gap: (reason: string) => void): Promise<void> {
    const { execa } = await import('execa');
    if (this.closed) return;
    const child = execa(this.cmd, [...this.args], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
    this.child = child;
    this.lastGoodMs = this.now();
    let stderrTail = '';
    eachLine(child.stdout, onLine);
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
    const reason = `${basename(this.cmd)} ended (${why}${err ? `: ${err}` : ''}); restarting in ${this.backoffMs} ms`;
    gap(reason);
    this.report?.sink.restart?.(this.report.probe, reason);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30000);
    this.restartTimer = setTimeout(
      () => this.spawn(onLine, gap).catch((err: unknown) => gap(`${basename(this.cmd)} could not be restarted: ${(err as Error).message}`)),
      delay,
    );
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
export async function firstLine(
  cmd: string,
  args: readonly string[],
  accept: (line: string) => boolean,
  timeoutMs: number,
): Promise<{ line: string } | { error: string; missing: boolean }> {
  const { execa } = await import('execa');
  const child = execa(cmd, [...args], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderrTail = (stderrTail + c).slice(-500)));
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: { line: string } | { error: string; missing: boolean }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(v);
    };
    const timer = setTimeout(() => finish({ error: `${cmd} printed nothing usable within ${timeoutMs} ms`, missing: false }), timeoutMs);
    eachLine(child.stdout, (line) => {
      if (!done && accept(line)) finish({ line });
    });
    child.then(
      (r) => {
        const e = r as { code?: string; exitCode?: number };
        const missing = e.code === 'ENOENT';
        const err = stderrTail.trim().split('\n').pop();
        finish({
          error: missing
            ? `${cmd} not found on PATH`
            : `${cmd} ended before printing a sample (${e.exitCode !== undefined ? `exit code ${e.exitCode}` : 'killed'}${err ? `: ${err}` : ''})`,
          missing,
        });
      },
      (err: unknown) => finish({ error: `${cmd} failed: ${(err as Error).message}`, missing: false }),
    );
  });
}
