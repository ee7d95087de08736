/**
 * A run's per-image rows as they complete: images and batches go into the row stream (the same code
 * the report uses, energy/row-stream.ts), samples close their windows, and each batch whose windows
 * are complete on every charged GPU becomes rows.
 */
import type { Reading } from '../../probes/types.js';
import { rowsOfBatch, type IdleBaseline, type ImageRow } from '../energy/image-rows.js';
import { RowStream, type RowStreamOptions } from '../energy/row-stream.js';
import type { ImageEvent } from '../images/batches.js';
import type { SessionOptions } from '../session/types.js';

export interface SessionRowsHooks {
  /** The idle baseline the net joules are taken against (none yet: gross only). */
  idle: () => IdleBaseline | undefined;
  rows: (rows: ImageRow[]) => void;
}

export class SessionRows {
  readonly rows: ImageRow[] = [];
  private stream: RowStream | undefined;

  constructor(
    private readonly options: SessionOptions,
    private readonly hooks: SessionRowsHooks,
  ) {}

  /** Starts the stream: `charged` GPUs (undefined: all), `hold` until the charged GPUs are decided. */
  open(o: RowStreamOptions): void {
    this.stream = new RowStream(o);
  }

  sample(r: Reading): void {
    if (!this.stream) return;
    this.stream.sample(r);
    this.take();
  }

  runStart(ms: number): void {
    this.stream?.runStart(ms);
  }

  image(ev: ImageEvent): void {
    this.stream?.image(ev);
  }

  batch(index: number, batch: ImageEvent[]): void {
    this.stream?.batch(index, batch);
    this.take();
  }

  /** The generator's GPUs are known: windows from here on use them. */
  charge(ids: string[]): void {
    this.stream?.charge(ids);
    this.take();
  }

  /** The session ended: the last windows close with what was sampled. */
  finish(): void {
    this.stream?.finish([]);
    this.take();
  }

  private take(): void {
    const figures = this.stream?.takeReady() ?? [];
    if (!figures.length) return;
    const rows: ImageRow[] = [];
    for (const f of figures) rows.push(...rowsOfBatch(f, this.rows.length + rows.length, this.hooks.idle(), this.options));
    this.rows.push(...rows);
    this.hooks.rows(rows);
  }
}

/** The shortest of the last few steady images (what a look's pace must keep up with); 0 with none. */
export function recentSecondsPerImage(rows: readonly ImageRow[], last = 5): number {
  const s = rows
    .filter((r) => !r.warmup)
    .slice(-last)
    .map((r) => r.seconds)
    .filter((x) => x > 0);
  return s.length ? Math.min(...s) : 0;
}
