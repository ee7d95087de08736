/**
 * The images a watcher has counted, by name and by file identity, in bounded memory (`serve` runs
 * for days). A name is remembered with the write that was counted, so a later write under the same
 * name is told from a late event of the same write; a file under a second name (a hard link) is the
 * same image.
 */

/** What tells one write of a file from the next. */
export interface FileFacts {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** Counted names (and identities) remembered to ignore late change events. */
export const COUNTED_MEMORY = 5000;

export class CountedImages {
  /** Counted names → the write counted. */
  private readonly names = new Map<string, FileFacts>();
  /** Counted files by identity (device, inode, mtime, size). */
  private readonly identities = new Set<string>();
  /** The newest mtime among counted names forgotten (bounded memory): a swept file no newer is not new. */
  forgottenUpToMs = -Infinity;
  /** Images counted since the start. */
  total = 0;

  has(p: string): boolean {
    return this.names.has(p);
  }

  /** The write counted under this name. */
  get(p: string): FileFacts | undefined {
    return this.names.get(p);
  }

  /** The name was written again: the next write under it is a new image. */
  release(p: string): void {
    this.names.delete(p);
  }

  /** Forgets every name (the folder was replaced); the total stays. */
  clear(): void {
    this.names.clear();
  }

  /** Counts the write under the name; false when it is a file already counted under another name. */
  add(p: string, st: FileFacts): boolean {
    this.names.set(p, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
    const id = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
    if (this.identities.has(id)) return false;
    this.identities.add(id);
    if (this.identities.size > COUNTED_MEMORY) this.identities.delete(this.identities.values().next().value!);
    this.total++;
    // Only recent names are needed to ignore late change events.
    if (this.names.size > COUNTED_MEMORY) {
      const [oldest, { mtimeMs }] = this.names.entries().next().value!;
      this.names.delete(oldest);
      this.forgottenUpToMs = Math.max(this.forgottenUpToMs, mtimeMs);
    }
    return true;
  }
}
