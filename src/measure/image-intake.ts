/**
 * Images from the watcher to closed batches: each is counted (recorded and shown by the session),
 * grouped by file timing (batches.ts) or, for a server that names its files, by request
 * (attributed-images.ts); reaching --count closes the last batch and ends the run.
 */
import { BatchAssembler, type ImageEvent } from '../images/batches.js';
import { namesItsFiles, type BackendKind, type RequestEvent } from '../backends/backend-types.js';
import { AttributedImages } from './attributed-images.js';

export interface IntakeHooks {
  /** An image of this run: record and show it. */
  admit(ev: ImageEvent): void;
  /** A closed batch (its events carry their batch number). */
  batch(events: ImageEvent[]): void;
  /** --count was reached. */
  countReached(): void;
  note(message: string): void;
  /** The watcher's last look. */
  sweep(): Promise<void>;
}

export interface IntakeOptions {
  batchGapMs: number | null | undefined;
  count: number | null;
  outDir: string | null;
}

export class ImageIntake {
  imagesSeen = 0;
  private batches: BatchAssembler;
  private attributed: AttributedImages | undefined;

  constructor(
    private readonly h: IntakeHooks,
    private readonly o: IntakeOptions,
  ) {
    this.batches = new BatchAssembler(o.batchGapMs ?? undefined);
  }

  /** The run starts: the first batch's window opens here. */
  start(runStartMs: number, backend: BackendKind | undefined): void {
    this.batches = new BatchAssembler(this.o.batchGapMs ?? undefined, runStartMs);
    if (!namesItsFiles(backend)) return;
    this.attributed = new AttributedImages('ComfyUI', {
      accept: (ev) => this.admit(ev),
      batch: (events) => {
        for (const b of this.batches.group(events)) this.h.batch(b);
        this.checkCount();
      },
      note: (m) => this.h.note(m),
      sweep: () => this.h.sweep(),
      where: this.o.outDir ?? 'the watched folder',
    });
  }

  image(ev: ImageEvent): void {
    // A server that names its files: counted once a request of ours names it.
    if (this.attributed) return this.attributed.image(ev);
    this.admit(ev);
    const closed = this.batches.add(ev);
    if (closed) this.h.batch(closed);
    this.checkCount();
  }

  request(r: RequestEvent): void {
    this.attributed?.request(r);
  }

  /** Closes the pending batch once no file can still join it. */
  tick(nowMs: number): void {
    const closed = this.batches.flushIfQuiet(nowMs);
    if (closed) this.h.batch(closed);
  }

  /** The generator is done: every request closed, what is left not ours. */
  async end(): Promise<void> {
    await this.attributed?.end();
  }

  /** What is said once the last image is shown (named files that never appeared). */
  closingNotes(): string[] {
    return this.attributed?.closingNotes() ?? [];
  }

  /** Closes the pending batch now (the run ends). */
  flush(): void {
    const last = this.batches.flush();
    if (last) this.h.batch(last);
  }

  private admit(ev: ImageEvent): void {
    this.imagesSeen++;
    this.h.admit(ev);
  }

  private checkCount(): void {
    if (this.o.count === null || this.imagesSeen < this.o.count) return;
    this.flush();
    this.h.countReached();
  }
}
