/**
 * What a complete image is, read once it is counted: its embedded settings (steps, sampler, size,
 * model) and its blank check (entropy, decoded off the main thread). Either may be unknown; neither
 * can cost the image.
 */
import { basename } from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { ImageEvent } from './batches.js';
import { BLANK_ENTROPY_BITS, cannotBeBlank } from './entropy.js';
import { EntropyPool, QUEUE_FULL } from './entropy-pool.js';
import { readImageMeta } from './image-meta.js';

/** A metadata read refused for lack of descriptors (a low `ulimit -n`) is tried again this often. */
const NO_FD_RETRIES = 5;
export const NO_FD_RETRY_MS = 200;

export interface ImageDetailsOptions {
  /** The watcher's pool of open files (a storm of images is read a few at a time). */
  io: LimitFunction;
  readMeta: boolean;
  /** Decode each image for its entropy (in a worker). */
  entropy: boolean;
  /** Decode every image, also those too large for their pixel count to be blank (`--entropy-all`). */
  entropyAll?: boolean;
  closed: () => boolean;
  note: (message: string) => void;
}

export class ImageDetails {
  private readonly decoder: EntropyPool | undefined;
  private saidQueueFull = false;

  constructor(private readonly o: ImageDetailsOptions) {
    this.decoder = o.entropy ? new EntropyPool(1000) : undefined;
  }

  /** Fills the event's `meta`, `entropyBits` and `blank`; false when the watcher closed meanwhile. */
  async fill(ev: ImageEvent): Promise<boolean> {
    const p = ev.path;
    if (this.o.readMeta) {
      // A broken header costs the metadata, never the image.
      const m = await this.readMeta(p);
      if (Object.keys(m.meta).length) ev.meta = m.meta;
      if (m.note) this.o.note(`${basename(p)}: metadata skipped: ${m.note}`);
      if (this.o.closed()) return false;
    }
    // Compressed size first: an image too large to be uniform is not decoded (entropy not computed: null).
    if (this.decoder && !this.o.entropyAll && cannotBeBlank(ev.bytes, ev.meta?.width, ev.meta?.height)) {
      ev.entropyBits = null;
      return true;
    }
    if (this.decoder) {
      // Bounded in size and time: unknown (null) rather than late.
      const e = await this.decoder.entropy(p);
      if (e.note === QUEUE_FULL && !this.saidQueueFull) {
        this.saidQueueFull = true;
        this.o.note(`${QUEUE_FULL} (from ${basename(p)} on, while images arrive this fast)`);
      }
      ev.entropyBits = e.bits === null ? null : Math.round(e.bits * 1000) / 1000;
      if (e.bits !== null && e.bits < BLANK_ENTROPY_BITS) ev.blank = true;
      if (this.o.closed()) return false;
    }
    return true;
  }

  /** Embedded settings, a few files at a time; a read refused for lack of descriptors is tried again. */
  private async readMeta(p: string): Promise<Awaited<ReturnType<typeof readImageMeta>>> {
    for (let attempt = 0; ; attempt++) {
      const m = await this.o.io(() => readImageMeta(p));
      if (!m.note || !/: E[MN]FILE\b/.test(m.note) || attempt >= NO_FD_RETRIES || this.o.closed()) return m;
      await new Promise((r) => setTimeout(r, NO_FD_RETRY_MS));
    }
  }

  async close(): Promise<void> {
    await this.decoder?.close();
  }
}
