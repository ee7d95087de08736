/**
 * Image entropy off the main thread: one worker (started on the first image), one image at a time,
 * each answer within `timeoutMs` or the worker is replaced and the image's entropy stays unknown.
 */
import { Worker } from 'node:worker_threads';

export interface EntropyAnswer {
  bits: number | null;
  note?: string;
}

interface Job {
  id: number;
  path: string;
  resolve: (a: EntropyAnswer) => void;
  timer?: NodeJS.Timeout;
}

/** Images waiting for the decoder at most (a few seconds of decoding). */
export const MAX_QUEUED = 64;
export const QUEUE_FULL = `more than ${MAX_QUEUED} images waiting to be decoded: blank check skipped`;

export class EntropyPool {
  private worker: Worker | undefined;
  private queue: Job[] = [];
  private current: Job | undefined;
  private nextId = 1;
  private closed = false;

  constructor(private readonly timeoutMs = 2000) {}

  entropy(path: string): Promise<EntropyAnswer> {
    if (this.closed) return Promise.resolve({ bits: null, note: 'decoder closed' });
    // A storm of images is not decoded one by one for minutes: past the queue's bound, unknown.
    if (this.queue.length >= MAX_QUEUED) return Promise.resolve({ bits: null, note: QUEUE_FULL });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, path, resolve });
      this.pump();
    });
  }

  private start(): Worker {
    const w = new Worker(new URL('./entropy-worker.js', import.meta.url));
    w.unref();
    w.on('message', (m: { id: number } & EntropyAnswer) => {
      const j = this.current;
      if (!j || j.id !== m.id) return;
      this.finish({ bits: m.bits, ...(m.note ? { note: m.note } : {}) });
    });
    w.on('error', (err) => this.restart(`decoder failed: ${err.message.slice(0, 120)}`));
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      if (this.current) this.finish({ bits: null, note: 'decoder stopped' });
    });
    return w;
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const j = this.queue.shift();
    if (!j) return;
    this.current = j;
    this.worker ??= this.start();
    j.timer = setTimeout(() => this.restart(`not decoded within ${this.timeoutMs} ms`), this.timeoutMs);
    this.worker.postMessage({ id: j.id, path: j.path });
  }

  private finish(a: EntropyAnswer): void {
    const j = this.current;
    if (!j) return;
    this.current = undefined;
    if (j.timer) clearTimeout(j.timer);
    j.resolve(a);
    this.pump();
  }

  private restart(note: string): void {
    const w = this.worker;
    this.worker = undefined;
    this.finish({ bits: null, note });
    // Ending a worker that misbehaved: its exit code tells nothing more.
    w?.terminate().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.resolve({ bits: null, note: 'decoder closed' });
    this.finish({ bits: null, note: 'decoder closed' });
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
