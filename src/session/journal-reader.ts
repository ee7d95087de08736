/**
 * Reads a journal (`NAME.jsonl`) as a stream: each record is validated (file and line named on the
 * first problem), samples, gaps, logs and notes go to the caller's handlers as they pass, and the
 * rows are computed on the way (energy/row-stream.ts), so a journal of any size is read without
 * holding its samples. Rows are kept (reports), handed on as they complete (writing the final file:
 * nothing per image is held but what the summary needs), or not computed at all (a first scan).
 * A killed writer can leave one half-written last line: everything before it counts.
 */
import type { Gap, Reading } from '../../probes/types.js';
import { isGpu } from '../../probes/types.js';
import { summarize, type Summary } from '../energy/summary.js';
import { averageWindows } from '../energy/boxcar.js';
import { meterScopes, rowsOfBatch, type BatchFigure, type IdleBaseline, type ImageRow } from '../energy/image-rows.js';
import { RowStream } from '../energy/row-stream.js';
import type { ImageEvent } from '../images/batches.js';
import { jsonProblem } from '../text/json-problem.js';
import { describeErrors, NoDefinitionError, validator } from './schema.js';
import { SessionFileError } from './session-file-error.js';
import { sourceName, textLines, type TextSource } from './text-lines.js';
import { endReasonOf, type HeaderRecord, type LogLine, type Note, type SessionRecord } from './types.js';

/** Where the bulky records go (each with its raw line, for copying without re-serializing). */
export interface JournalHandlers {
  /** The header, before any other record. */
  header?(h: HeaderRecord): void;
  sample?(r: Reading, line: string, n: number): void;
  gap?(g: Gap, line: string): void;
  log?(l: LogLine, line: string): void;
  note?(n: Note, line: string): void;
  /** With `rows: 'stream'`: each image (with its batch) and row as its batch completes, in order. */
  image?(e: ImageEvent): void;
  row?(r: ImageRow): void;
}

export interface JournalReadOptions {
  /** `keep` (default): rows and images in the result; `stream`: to the handlers; `none`: a scan. */
  rows?: 'keep' | 'stream' | 'none';
  /** The idle baseline, known from an earlier scan (needed to stream rows net of idle). */
  idle?: IdleBaseline | null;
}

/** Everything but the bulky records. */
export interface JournalContents {
  /** The header, its run completed by the run-start, tags and end records. */
  header: HeaderRecord;
  idle: IdleBaseline | null;
  endedAt: string | null;
  finished: boolean;
  warnings: string[];
  /** Image events with their batch numbers: closed batches first, then the ones that never closed (empty unless `keep`). */
  images: ImageEvent[];
  rows: ImageRow[];
  /** Null for a scan. */
  summary: Summary;
}

type Rec = { type?: unknown } & Record<string, unknown>;

/** An image event as the document stores it (fields in the schema's order). */
function imageOut(e: ImageEvent, batch: number | undefined): ImageEvent {
  const out: ImageEvent = { path: e.path, mtimeMs: e.mtimeMs };
  if (e.bytes !== undefined) out.bytes = e.bytes;
  if (e.detectedMs !== undefined) out.detectedMs = e.detectedMs;
  if (e.meta !== undefined) out.meta = e.meta;
  if (e.entropyBits !== undefined) out.entropyBits = e.entropyBits;
  if (e.blank) out.blank = true;
  if (batch !== undefined) out.batch = batch;
  return out;
}

/** The fields `summarize` reads: all a streamed journal keeps per image. */
type SummaryRow = Pick<
  ImageRow,
  'seconds' | 'joules' | 'netJoules' | 'warmup' | 'coverage' | 'method' | 'flagged' | 'peakVramBytes' | 'blank' | 'meters' | 'memory' | 'heat'
>;

class JournalState {
  header: HeaderRecord | undefined;
  idle: IdleBaseline | null = null;
  endedAt: string | null = null;
  finished = false;
  lastSampleMs: number | null = null;
  /** The recorder's word that the disk filled up, if it did. */
  diskFull: string | null = null;
  /** Images not yet in a closed batch, in journal order. */
  open: ImageEvent[] = [];
  closed: ImageEvent[] = [];
  rowStream: RowStream | undefined;
  /** Rows handed on so far (stream mode), and what the summary needs of them. */
  streamed = 0;
  summaryRows: SummaryRow[] = [];

  constructor(
    readonly o: JournalReadOptions,
    readonly h: JournalHandlers,
  ) {}

  get mode(): 'keep' | 'stream' | 'none' {
    return this.o.rows ?? 'keep';
  }

  start(h: HeaderRecord): void {
    this.header = h;
    if (this.mode === 'none') return;
    const gpuIds = h.devices.filter(isGpu).map((d) => d.id);
    // A monitor session has no images: its samples need not be held for windows. The charged GPUs
    // are the header's, or — decided from the generator's processes — a later `gpus` record's.
    this.rowStream = new RowStream({
      gpuIds: h.run.mode === 'monitor' ? [] : gpuIds,
      charged: h.run.gpus,
      hold: Boolean(h.run.gpusPending && !h.run.gpus),
      gapLimitMs: h.options.gapLimitMs,
      batchGapMs: h.options.batchGapMs,
      averageWindows: averageWindows(h.devices),
      meters: h.run.mode === 'monitor' ? new Map() : meterScopes(h.devices),
    });
    if (h.run.startMs !== null) this.rowStream.runStart(h.run.startMs);
  }

  image(e: ImageEvent): void {
    if (this.mode === 'none') return;
    this.open.push(e);
    this.rowStream!.image(e);
  }

  closeBatch(index: number, paths: string[]): void {
    if (this.mode === 'none') return;
    const inBatch = new Set(paths);
    const events = this.open.filter((e) => inBatch.has(e.path));
    this.open = this.open.filter((e) => !inBatch.has(e.path));
    if (events.length === 0) return;
    const numbered = events.map((e) => imageOut(e, index));
    if (this.mode === 'keep') this.closed.push(...numbered);
    else for (const e of numbered) this.h.image?.(e);
    // Stable by mtime, as a whole-file grouping sorts them.
    this.rowStream!.batch(
      index,
      [...numbered].sort((a, b) => a.mtimeMs - b.mtimeMs),
    );
    this.drain();
  }

  sample(r: Reading): void {
    this.lastSampleMs = r.tMs;
    if (this.mode === 'none') return;
    this.rowStream!.sample(r);
    this.drain();
  }

  /** Stream mode: the rows of the figures completed so far, handed on in order. */
  drain(figures?: readonly BatchFigure[]): void {
    if (this.mode !== 'stream') return;
    for (const f of figures ?? this.rowStream!.takeReady()) {
      for (const r of rowsOfBatch(f, this.streamed, this.o.idle ?? undefined, this.header!.options)) {
        this.streamed++;
        this.h.row?.(r);
        this.summaryRows.push({
          seconds: r.seconds,
          joules: r.joules,
          netJoules: r.netJoules,
          warmup: r.warmup,
          coverage: r.coverage,
          method: r.method,
          flagged: r.flagged,
          peakVramBytes: r.peakVramBytes,
          ...(r.blank ? { blank: true } : {}),
          ...(r.meters ? { meters: r.meters } : {}),
          ...(r.memory ? { memory: r.memory } : {}),
          ...(r.heat ? { heat: r.heat } : {}),
        });
      }
    }
  }
}

/** Drops the record's `type`: what the handlers and the document keep is the record's body. */
function bodyOf<T extends { type: string }>(rec: T): Omit<T, 'type'> {
  const { type: _t, ...body } = rec;
  return body;
}

function apply(st: JournalState, rec: SessionRecord, line: string, n: number, file: string): void {
  const h = st.h;
  if (rec.type === 'header') {
    if (st.header) throw new SessionFileError(file, n, 'a second header record');
    rec.run.endReason = endReasonOf(rec.run.endReason);
    st.start(rec);
    h.header?.(rec);
    return;
  }
  if (!st.header) throw new SessionFileError(file, n, 'the first record must be the header (is this a genwatt session journal?)');
  const run = st.header.run;
  switch (rec.type) {
    case 'sample': {
      const r: Reading = bodyOf(rec);
      st.sample(r);
      h.sample?.(r, line, n);
      break;
    }
    case 'gap':
      h.gap?.(bodyOf(rec), line);
      break;
    case 'note': {
      const note: Note = bodyOf(rec);
      if (note.source === 'recorder' && note.message.startsWith('disk full')) st.diskFull = note.message;
      h.note?.(note, line);
      break;
    }
    case 'log':
      h.log?.(bodyOf(rec), line);
      break;
    case 'idle':
      st.idle = bodyOf(rec);
      break;
    case 'run-start':
      run.startMs = rec.startMs;
      st.rowStream?.runStart(rec.startMs);
      break;
    case 'image':
      st.image(bodyOf(rec));
      break;
    case 'batch':
      st.closeBatch(rec.batch, rec.paths);
      break;
    case 'tags':
      Object.assign(run.tags, rec.tags);
      break;
    case 'gpus':
      run.gpus = rec.ids;
      run.gpuReason = rec.reason;
      delete run.gpusPending;
      st.rowStream?.charge(rec.ids);
      st.drain();
      break;
    case 'end':
      st.finished = true;
      run.endMs = rec.endMs;
      run.exit = rec.exit;
      run.endReason = endReasonOf(rec.endReason);
      st.endedAt = rec.endedAt;
      break;
  }
}

/** Parses and validates one line; null for a torn last line (with a warning). */
async function parseLine(file: string, n: number, text: string, terminated: boolean, warnings: string[]): Promise<SessionRecord | null> {
  let rec: Rec;
  try {
    rec = JSON.parse(text) as Rec;
  } catch (err) {
    if (!terminated) {
      warnings.push(`${file}:${n}: last line is incomplete (genwatt was stopped while writing it); ignored`);
      return null;
    }
    throw new SessionFileError(file, n, `not valid JSON (${jsonProblem(err)})`, { cause: err });
  }
  const type = typeof rec?.type === 'string' ? rec.type : undefined;
  // Only a definition the schema lacks is an unknown type; a schema that failed to load is genwatt's own error.
  const fn = await validator<SessionRecord>(type ? `${type}Record` : 'record').catch((err: unknown) => {
    if (err instanceof NoDefinitionError) return undefined;
    throw new Error(`genwatt could not load its session schema: ${(err as Error).message}`, { cause: err });
  });
  if (!fn)
    throw new SessionFileError(
      file,
      n,
      typeof rec?.type === 'string' ? `unknown record type ${JSON.stringify(rec.type.slice(0, 40))}` : 'a record without a type',
    );
  if (!fn(rec)) throw new SessionFileError(file, n, `${type ?? 'record'} record: ${describeErrors(fn)}`);
  return rec;
}

export async function readJournalStream(source: TextSource, handlers: JournalHandlers = {}, opts: JournalReadOptions = {}): Promise<JournalContents> {
  const file = sourceName(source);
  const st = new JournalState(opts, handlers);
  const warnings: string[] = [];
  let sawAny = false;
  for await (const { n, text, terminated } of textLines(source)) {
    if (text.trim() === '') continue;
    sawAny = true;
    const p = await parseLine(file, n, text, terminated, warnings);
    if (!p) break;
    apply(st, p, text, n, file);
  }
  if (!sawAny) throw new SessionFileError(file, 1, 'file is empty');
  const header = st.header;
  if (!header) throw new SessionFileError(file, undefined, 'empty journal: no header record');
  if (st.diskFull) warnings.push(`${file}: the disk was full while recording (${st.diskFull}); figures cover what was written`);
  else if (!st.finished) warnings.push(`${file}: no end record: genwatt stopped without finishing this session (killed?); figures cover what was recorded`);
  header.run.endMs ??= st.lastSampleMs;
  const duration = header.run.startMs !== null && header.run.endMs !== null ? (header.run.endMs - header.run.startMs) / 1000 : null;
  const base = { header, idle: st.idle, endedAt: st.endedAt, finished: st.finished, warnings };
  if (st.mode === 'none') return { ...base, images: [], rows: [], summary: summarize([], undefined, duration) };
  const { figures, regrouped } = st.rowStream!.finish(st.open.map((e) => imageOut(e, undefined)));
  if (st.mode === 'stream') {
    for (const e of regrouped) handlers.image?.(imageOut(e, e.batch));
    st.drain(st.rowStream!.takeReady());
    return { ...base, images: [], rows: [], summary: summarize(st.summaryRows as ImageRow[], st.idle ?? undefined, duration) };
  }
  const rows: ImageRow[] = [];
  for (const f of figures) rows.push(...rowsOfBatch(f, rows.length, st.idle ?? undefined, header.options));
  return { ...base, images: [...st.closed, ...regrouped.map((e) => imageOut(e, e.batch))], rows, summary: summarize(rows, st.idle ?? undefined, duration) };
}
