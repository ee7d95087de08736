/**
 * A server backend's requests turned into batches of its own images (server-attribution.ts): each
 * request's images are one batch, closed in request order; a request whose named files have not
 * appeared yet waits for the watcher's last look and at most LATE_MS. Images no request of ours
 * saved are noted and not counted.
 */
import type { ImageEvent } from '../images/batches.js';
import type { RequestEvent } from '../backends/backend-types.js';
import { ServerAttribution } from './server-attribution.js';
import { basename } from 'node:path';

/** How long a done request waits for a file it named to appear in the watched folder. */
const LATE_MS = 3000;
/** Foreign files named one by one; past this, only counted. */
const FOREIGN_SAID = 10;

export interface AttributedHooks {
  /** Counts an image of ours (record, show). */
  accept(ev: ImageEvent): void;
  /** Closes a request's images as one batch. */
  batch(events: ImageEvent[]): void;
  note(message: string): void;
  /** The watcher's last look (files whose events are late). */
  sweep(): Promise<void>;
  /** Where the images are watched, for messages. */
  where: string;
}

export class AttributedImages {
  private readonly a = new ServerAttribution();
  private timer: NodeJS.Timeout | undefined;
  /** Said after the last image line (closingNotes). */
  private readonly closing: string[] = [];
  private foreignCount = 0;

  constructor(
    private readonly server: string,
    private readonly h: AttributedHooks,
  ) {}

  image(ev: ImageEvent): void {
    this.a.image(ev);
    this.sayForeign();
    this.closeReady();
  }

  request(r: RequestEvent): void {
    if (r.phase !== 'done') return;
    this.a.done(r.index, r.files);
    this.sayForeign();
    if (this.a.waiting(r.index)) {
      this.h.sweep().then(
        () => this.closeReady(),
        () => undefined,
      );
      this.timer ??= setTimeout(() => this.forceFirst(), LATE_MS);
    }
    this.closeReady();
  }

  /** The run is over: every request closed (after one last look), what is left is not ours. */
  async end(): Promise<void> {
    if (this.a.openRequests().some((i) => this.a.waiting(i))) await this.h.sweep().catch(() => undefined);
    while (this.a.openRequests().length) this.closeFirst();
    this.a.end();
    this.sayForeign();
    if (this.foreignCount > FOREIGN_SAID)
      this.h.note(`${this.foreignCount} images in all appeared in ${this.h.where} that no prompt of ours saved: not counted`);
  }

  /** Named files that never appeared, once the images are all shown. */
  closingNotes(): string[] {
    return this.closing.splice(0);
  }

  /** Closes requests in order while the first one waits for nothing. */
  private closeReady(): void {
    for (let first = this.a.openRequests()[0]; first !== undefined && !this.a.waiting(first); first = this.a.openRequests()[0]) this.closeFirst();
  }

  /** The first request waited long enough: closed with what appeared, and the ones behind it that can be. */
  private forceFirst(): void {
    this.closeFirst();
    this.closeReady();
  }

  private closeFirst(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.a.openRequests()[0];
    if (first === undefined) return;
    const { ours, missing } = this.a.close(first);
    for (const ev of ours) this.h.accept(ev);
    if (ours.length) this.h.batch(ours);
    if (missing.length)
      this.closing.push(
        `${this.server} says request ${first + 1} saved ${missing.join(', ')}, but ${missing.length === 1 ? 'it' : 'they'} did not appear in ${this.h.where}: is --out the folder the server saves into?`,
      );
    // The next request may have been waiting behind this one.
    if (this.a.openRequests().some((i) => this.a.waiting(i))) this.timer = setTimeout(() => this.forceFirst(), LATE_MS);
  }

  private sayForeign(): void {
    for (const ev of this.a.takeForeign()) {
      if (++this.foreignCount <= FOREIGN_SAID)
        this.h.note(`${basename(ev.path)} appeared in ${this.h.where} but no prompt of ours saved it (another client's?): not counted`);
    }
  }
}
