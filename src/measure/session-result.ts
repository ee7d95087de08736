/**
 * How a measured session ends: the recording finished (the final file streamed from the journal),
 * or the journal kept and why; the document the caller shows (without samples: they are in the file),
 * and the exit code.
 */
import { exitCodeFor } from '../backends/run-controller.js';
import { summarize, type Summary } from '../energy/summary.js';
import type { ImageRow } from '../energy/image-rows.js';
import type { JournalContents } from '../session/journal-reader.js';
import type { Recorder } from '../session/recorder.js';
import { type ChildExit, type SessionDoc, type SessionMode, type StopReason } from '../session/types.js';
import type { MeasureSession } from './measure-session.js';
import { docOfHeader } from '../session/session-doc.js';

export interface SessionResult {
  /** The session's document; `samples` and `gaps` are empty here (the recording has them). */
  doc: SessionDoc;
  summary: Summary;
  rows: ImageRow[];
  exitCode: number;
  /** The finished recording, if one was written. */
  recordFile: string | null;
  /** The journal left behind if finalizing failed. */
  journalFile: string | null;
  error?: string;
  /** The generator's last stderr lines when it failed (its own error message), else empty. */
  stderrTail: string[];
}

/**
 * The document as the recording has it, minus the bulky arrays. The rows are the session's own: the
 * file's were recomputed from the same samples by the same code (energy/row-stream.ts), so they are
 * equal, and the final file is written without holding them.
 */
function docOf(c: JournalContents, s: MeasureSession): SessionDoc {
  return docOfHeader(c.header, {
    endedAt: c.endedAt,
    complete: c.finished,
    idle: c.idle,
    images: imagesOf(s.rows),
    rows: s.rows,
    summary: c.summary,
    logs: s.generatorLog.lines,
    notes: s.notes,
  });
}

const imagesOf = (rows: readonly ImageRow[]) =>
  rows.map((r) => ({ path: r.path, mtimeMs: r.tMs, batch: r.batch, ...(r.bytes !== undefined ? { bytes: r.bytes } : {}) }));

/** The document from memory, when there is no recording to read back. */
function liveDoc(s: MeasureSession, endMs: number): SessionDoc {
  const h = s.core.header(s.startedMs, s.options, {
    mode: s.config.mode,
    argv: s.config.argv,
    cwd: s.config.cwd,
    outDir: s.config.outDir,
    tags: s.tags,
    startMs: s.runStartMs,
    endMs,
    exit: s.childExit,
    endReason: s.stopReason,
  });
  return docOfHeader(h, {
    endedAt: new Date(endMs).toISOString(),
    complete: true,
    idle: s.idle ?? null,
    images: imagesOf(s.rows),
    rows: s.rows,
    summary: summarize(s.rows, s.idle, s.runStartMs !== null ? (endMs - s.runStartMs) / 1000 : null),
    logs: s.generatorLog.lines,
    notes: s.notes,
  });
}

export async function finishResult(s: MeasureSession, recorder: Recorder | undefined, endMs: number, failure: string | undefined): Promise<SessionResult> {
  let doc: SessionDoc;
  let recordFile: string | null = null;
  let journalFile: string | null = null;
  let finalizeError: string | undefined;
  if (recorder) {
    try {
      doc = docOf(await recorder.finalizeFromJournal(), s);
      recordFile = recorder.file;
    } catch (err) {
      recorder.close();
      const lost = recorder.lostRecords;
      const cause = recorder.writeError ?? (err as Error);
      finalizeError = `could not write ${recorder.file}: ${cause.message}; ${lost ? `the disk refused ${lost} records: the journal ${recorder.journal} has only what was written before` : `the journal ${recorder.journal} keeps everything`}`;
      journalFile = recorder.journal;
      doc = liveDoc(s, endMs);
    }
  } else doc = liveDoc(s, endMs);
  const failed = Boolean(failure || finalizeError);
  const exit = doc.run.exit;
  const childFailed = exit !== null && exit.reason !== 'exited' && exit.reason !== 'stopped';
  const stderrTail = childFailed || failed ? s.generatorLog.stderrTail.lines() : [];
  const result: SessionResult = { doc, summary: doc.summary, rows: doc.rows, exitCode: s.exitCode(failed), recordFile, journalFile, stderrTail };
  if (failed) result.error = [failure, finalizeError].filter(Boolean).join('; ');
  return result;
}

/**
 * Ctrl-C or a closed terminal signals the whole process group: the command may die of the same
 * signal before genwatt stops it. That is the user stopping the run, not the command failing.
 */
export function asUserStop(ce: ChildExit | null, stopReason: StopReason | null): ChildExit | null {
  if (stopReason === 'interrupted' && ce?.reason === 'failed' && ce.signal && ['SIGHUP', 'SIGINT', 'SIGTERM'].includes(ce.signal)) {
    return { ...ce, reason: 'stopped', message: `stopped by ${ce.signal}, sent to genwatt and the command together (Ctrl-C, or the terminal closed)` };
  }
  return ce;
}

/** Exit code of a session: the generator's, 130 when a run is interrupted (0 for watch and monitor), at least 1 on failure. */
export function sessionExitCode(ce: ChildExit | null, stopReason: StopReason | null, mode: SessionMode, failed: boolean): number {
  let code = ce ? exitCodeFor(ce) : 0;
  if (stopReason === 'interrupted') code = mode === 'watch' || mode === 'monitor' ? 0 : 130;
  return failed ? code || 1 : code;
}
