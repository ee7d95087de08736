/**
 * Reads a recording: a finished `.json` (doc-reader.ts) or the `.jsonl` a killed genwatt left
 * (journal-reader.ts: rebuilt into a document, its rows and summary recomputed by the same code the
 * live run uses). Both stream, and validate against schema/session.schema.json naming the file and
 * line of the first problem. Samples are kept (replay) or digested into a bounded chart series
 * (reports), so a report of a session of any size runs in bounded memory.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { DeviceInfo, Gap, Reading } from '../../probes/types.js';
import { isGpu } from '../../probes/types.js';
import { groupIntoBatches } from '../images/batches.js';
import { computeRows, meterScopes, type DeviceSeries, type SeriesSample } from '../energy/image-rows.js';
import { HOST_DEVICE_ID } from '../../probes/host/host-id.js';
import { seriesSample } from '../energy/row-stream.js';
import { summarize } from '../energy/summary.js';
import { readDoc, type BulkKey } from './doc-reader.js';
import { readJournalStream } from './journal-reader.js';
import { SampleDigest, type DigestSeries } from './sample-digest.js';
import { SessionFileError } from './session-file-error.js';
import { checkRows, recheckSummary, SampleOrder } from './self-check.js';
import { LineTooLongError } from './text-lines.js';
import { SCHEMA_VERSION, type LogLine, type Note, type SessionDoc } from './types.js';
import { docOfHeader } from './session-doc.js';
import { averageWindows } from '../energy/boxcar.js';

export { SessionFileError } from './session-file-error.js';

/** A chart-sized digest of the samples, when they were not kept. */
export interface SessionDigest {
  series: Map<string, DigestSeries>;
  firstMs: number | undefined;
  lastMs: number | undefined;
  resolutionMs: number;
  /** How many samples the file holds. */
  samples: number;
}

export interface LoadedSession {
  file: string;
  doc: SessionDoc;
  /** False for a `.jsonl` without an end record (genwatt was killed). */
  finished: boolean;
  warnings: string[];
  /** With `samples: 'digest'`: the samples as a bounded chart series (`doc.samples` is then empty). */
  digest?: SessionDigest;
}

export interface ReadOptions {
  /** `all`: every sample in `doc.samples` (replay); `digest`: a bounded chart series instead (reports). */
  samples?: 'all' | 'digest';
}

/** Gaps, logs and notes kept in digest mode; the rest are counted in a warning. */
const DIGEST_KEEP = 10_000;

/** GPU series (host excluded) from recorded readings. */
export function seriesFromSamples(devices: readonly DeviceInfo[], samples: readonly Reading[], charged?: readonly string[]): DeviceSeries[] {
  const gpuIds = devices.filter((d) => isGpu(d) && (!charged || charged.includes(d.id))).map((d) => d.id);
  const by = new Map<string, NonNullable<ReturnType<typeof seriesSample>>[]>(gpuIds.map((id) => [id, []]));
  for (const r of samples) {
    const arr = by.get(r.deviceId);
    const s = arr && seriesSample(r);
    if (s) arr.push(s);
  }
  for (const arr of by.values()) arr.sort((a, b) => a.tMs - b.tMs);
  const widths = averageWindows(devices);
  const scopes = meterScopes(devices);
  const meterIds = new Set(scopes.keys());
  for (const id of meterIds) by.set(id, []);
  for (const r of samples) {
    if (!meterIds.has(r.deviceId)) continue;
    const s = seriesSample(r);
    if (s) by.get(r.deviceId)!.push(s);
  }
  for (const id of meterIds) by.get(id)!.sort((a, b) => a.tMs - b.tMs);
  // The generator's host memory and swap, when the run read them.
  const host: SeriesSample[] = [];
  if (gpuIds.length)
    for (const r of samples) {
      const s = r.deviceId === HOST_DEVICE_ID ? seriesSample(r) : null;
      if (s) host.push(s);
    }
  host.sort((a, b) => a.tMs - b.tMs);
  // meters carry their own gap limit: set by the figures (image-rows meterGapLimitMs)
  const out: DeviceSeries[] = [...by.entries()].map(([deviceId, samples]) =>
    meterIds.has(deviceId) ? { deviceId, samples, meter: scopes.get(deviceId) } : { deviceId, samples, averageWindowMs: widths.get(deviceId) },
  );
  if (host.length) out.push({ deviceId: HOST_DEVICE_ID, samples: host, host: true });
  return out;
}

/** Rows and summary of a document, from its samples and image events. */
export function recompute(doc: SessionDoc): Pick<SessionDoc, 'rows' | 'summary'> {
  const batches = groupIntoBatches(doc.images, doc.options.batchGapMs ?? undefined, doc.run.startMs ?? undefined);
  const runStart = doc.run.startMs ?? doc.images[0]?.mtimeMs ?? 0;
  // Only the GPUs charged to the run (run.gpus; absent: all).
  const rows = computeRows(batches, runStart, seriesFromSamples(doc.devices, doc.samples, doc.run.gpus), doc.idle ?? undefined, doc.options);
  const end = doc.run.endMs ?? (doc.samples.length ? doc.samples[doc.samples.length - 1].tMs : null);
  const duration = doc.run.startMs !== null && end !== null ? (end - doc.run.startMs) / 1000 : null;
  return { rows, summary: summarize(rows, doc.idle ?? undefined, duration) };
}

/** Collects the bulky records as the caller asked: all of them, or a digest and capped lists. */
class BulkCollector {
  samples: Reading[] = [];
  gaps: Gap[] = [];
  logs: LogLine[] = [];
  notes: Note[] = [];
  sampleCount = 0;
  dropped = { gaps: 0, logs: 0, notes: 0 };
  digest: SampleDigest | undefined;

  private order: SampleOrder;

  constructor(
    private readonly mode: 'all' | 'digest',
    file: string,
  ) {
    this.order = new SampleOrder(file);
  }

  setDevices(devices: readonly DeviceInfo[], gapLimitMs: number): void {
    if (this.mode === 'digest')
      this.digest = new SampleDigest(
        devices.filter(isGpu).map((d) => d.id),
        gapLimitMs,
      );
  }

  add(key: BulkKey, item: unknown, line?: number): void {
    if (key === 'samples') {
      this.order.check(item as Reading, this.sampleCount, line);
      this.sampleCount++;
      if (this.mode === 'all') this.samples.push(item as Reading);
      else this.digest?.add(item as Reading);
      return;
    }
    const list = this[key] as unknown[];
    if (this.mode === 'digest' && list.length >= DIGEST_KEEP) this.dropped[key]++;
    else list.push(item);
  }

  reset(): void {
    this.samples = [];
    this.gaps = [];
    this.logs = [];
    this.notes = [];
    this.sampleCount = 0;
    this.dropped = { gaps: 0, logs: 0, notes: 0 };
    this.digest = undefined;
    this.order = this.order.fresh();
  }

  fill(doc: SessionDoc, warnings: string[], file: string): SessionDigest | undefined {
    doc.samples = this.samples;
    doc.gaps = this.gaps;
    doc.logs = this.logs;
    doc.notes = this.notes;
    for (const [k, n] of Object.entries(this.dropped)) if (n) warnings.push(`${file}: ${n} more ${k} not loaded (the first ${DIGEST_KEEP} are)`);
    if (!this.digest) return undefined;
    return {
      series: this.digest.result(),
      firstMs: this.digest.firstMs,
      lastMs: this.digest.lastMs,
      resolutionMs: this.digest.resolutionMs,
      samples: this.sampleCount,
    };
  }
}

/** True when the file's first bytes are a journal header line. */
function looksLikeJournal(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return /^\{"type":"header"/.test(buf.toString('utf8', 0, n));
  } finally {
    closeSync(fd);
  }
}

function openProblem(file: string): SessionFileError | null {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    return new SessionFileError(file, undefined, why, { cause: err });
  }
  if (st.isDirectory()) return new SessionFileError(file, undefined, 'is a folder, not a session file');
  if (!st.isFile()) return new SessionFileError(file, undefined, 'is not a regular file (a FIFO, socket or device): not read');
  if (st.size === 0) return new SessionFileError(file, 1, 'file is empty');
  return null;
}

async function readJournalSession(file: string, bulk: BulkCollector): Promise<LoadedSession> {
  let devicesSet = false;
  const j = await readJournalStream(file, {
    sample: (r, _line, n) => bulk.add('samples', r, n),
    gap: (g) => bulk.add('gaps', g),
    log: (l) => bulk.add('logs', l),
    note: (n) => bulk.add('notes', n),
    header: (h) => {
      bulk.setDevices(h.devices, h.options.gapLimitMs);
      devicesSet = true;
    },
  });
  if (!devicesSet) bulk.setDevices(j.header.devices, j.header.options.gapLimitMs);
  const h = j.header;
  const doc = docOfHeader(h, {
    endedAt: j.endedAt,
    complete: j.finished,
    idle: j.idle,
    images: j.images,
    rows: j.rows,
    summary: j.summary,
    logs: [],
    notes: [],
  });
  const warnings = [...j.warnings];
  const digest = bulk.fill(doc, warnings, file);
  const out: LoadedSession = { file, doc, finished: j.finished, warnings };
  if (digest) out.digest = digest;
  return out;
}

async function readDocSession(file: string, bulk: BulkCollector): Promise<LoadedSession> {
  // The digest needs the devices before the samples: the document lists them first.
  let pending: { key: BulkKey; item: unknown; line?: number }[] | null = [];
  const read = await readDoc(file, {
    item: (key, item, line) => (pending ? pending.push({ key, item, line }) : bulk.add(key, item, line)),
    reset: () => {
      bulk.reset();
      pending = [];
    },
    devices: (devices, gapLimitMs) => {
      bulk.setDevices(devices, gapLimitMs);
      for (const p of pending ?? []) bulk.add(p.key, p.item, p.line);
      pending = null;
    },
  });
  const doc = read.doc;
  if (pending) {
    bulk.setDevices(doc.devices, doc.options.gapLimitMs);
    for (const p of pending as { key: BulkKey; item: unknown; line?: number }[]) bulk.add(p.key, p.item, p.line);
  }
  checkRows(doc, file, read.rowLine);
  const warnings = recheckSummary(doc, file, read.summaryProblem);
  const digest = bulk.fill(doc, warnings, file);
  const out: LoadedSession = { file, doc, finished: true, warnings };
  if (digest) out.digest = digest;
  return out;
}

/** Reads and validates a session file (`.json` or `.jsonl`). */
export async function readSession(file: string, opts: ReadOptions = {}): Promise<LoadedSession> {
  const problem = openProblem(file);
  if (problem) throw problem;
  const bulk = new BulkCollector(opts.samples ?? 'all', file);
  let loaded: LoadedSession;
  try {
    loaded = file.endsWith('.jsonl') || looksLikeJournal(file) ? await readJournalSession(file, bulk) : await readDocSession(file, bulk);
  } catch (err) {
    if (err instanceof LineTooLongError)
      throw new SessionFileError(file, err.line, `line is longer than ${Math.round(err.maxBytes / 1048576)} MiB: not a genwatt record`);
    throw err;
  }
  if (loaded.doc.schemaVersion !== SCHEMA_VERSION)
    throw new SessionFileError(file, undefined, `schemaVersion ${loaded.doc.schemaVersion} is not supported by this genwatt`);
  return loaded;
}
