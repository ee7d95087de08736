/**
 * Images of a server-driven run, attributed by the server's own file names (pure). ComfyUI says
 * which files each of our prompts saved (`executed` outputs); the watched folder also gets other
 * clients' images and, at times, ours after the server has already said it is done. An image waits
 * here until a request names it (then it is ours, and each request's images are one batch) or a
 * request that ran while it appeared is done without naming it (then it is another client's).
 */
import { sep } from 'node:path';
import type { ImageEvent } from '../images/batches.js';

interface OpenRequest {
  index: number;
  /** Names the request saved that have not appeared yet. */
  missing: string[];
  ours: ImageEvent[];
}

/** `sub/a.png` names `/out/sub/a.png` (the server's output folder is --out or a folder above it). */
function names(path: string, name: string): boolean {
  const p = path.split(sep).join('/');
  return p === name || p.endsWith(`/${name}`);
}

export class ServerAttribution {
  private held: ImageEvent[] = [];
  private readonly open: OpenRequest[] = [];
  private foreign: ImageEvent[] = [];

  /** An image appeared: taken by a done request still waiting for it, else held. */
  image(ev: ImageEvent): void {
    for (const r of this.open) {
      const i = r.missing.findIndex((n) => names(ev.path, n));
      if (i < 0) continue;
      r.missing.splice(i, 1);
      r.ours.push(ev);
      return;
    }
    this.held.push(ev);
  }

  /**
   * Request `index` is done and names its files (null: the server could not say, so every image
   * that appeared meanwhile counts as its). Every held image appeared while it ran or before: named,
   * it is ours; not named, another client's.
   */
  done(index: number, files: readonly string[] | null): void {
    const r: OpenRequest = { index, missing: files ? [...files] : [], ours: [] };
    for (const ev of this.held) {
      const i = r.missing.findIndex((n) => names(ev.path, n));
      if (i >= 0) {
        r.missing.splice(i, 1);
        r.ours.push(ev);
      } else if (files === null) r.ours.push(ev);
      else this.foreign.push(ev);
    }
    this.held = [];
    this.open.push(r);
  }

  /** True while request `index` waits for files it named. */
  waiting(index: number): boolean {
    return this.open.some((r) => r.index === index && r.missing.length > 0);
  }

  /** Closes request `index`: its images, and the names that never appeared. */
  close(index: number): { ours: ImageEvent[]; missing: string[] } {
    const i = this.open.findIndex((r) => r.index === index);
    if (i < 0) return { ours: [], missing: [] };
    const [r] = this.open.splice(i, 1);
    return { ours: r.ours, missing: r.missing };
  }

  /** Requests not closed yet. */
  openRequests(): number[] {
    return this.open.map((r) => r.index);
  }

  /** The run is over: what is still held was saved by no request of ours. */
  end(): void {
    this.foreign.push(...this.held);
    this.held = [];
  }

  /** Images no request of ours saved, since the last call. */
  takeForeign(): ImageEvent[] {
    const f = this.foreign;
    this.foreign = [];
    return f;
  }
}
