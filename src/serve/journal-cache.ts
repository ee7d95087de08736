/**
 * `/api/sessions/NAME.jsonl` answers with the document the journal reads to. Building it streams the
 * journal (session/doc-writer.ts) into a file in genwatt's own private cache folder, keyed by the
 * journal's inode, size and mtime: repeated requests for an unchanged journal are served from the
 * cache, concurrent ones share one build, builds run one at a time, and the cache holds a few files.
 * Memory stays bounded and sampling never waits: the build yields between slices of the journal.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDocFromJournal } from '../session/doc-writer.js';

/** A cache folder's name carries its process id, so a later serve can tell a dead one's (SIGKILL) from a live one's. */
const PREFIX = 'genwatt-serve-cache-';

/** Removes the cache folders of serve processes that are gone (killed without a chance to clean up). */
export function removeStaleCaches(root = tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class JournalCache {
  private readonly dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  private readonly entries = new Map<string, Promise<string>>();
  private chain: Promise<unknown> = Promise.resolve();
  private n = 0;

  constructor(private readonly maxEntries = 8) {}

  /** The path of the built document for this journal state (built now if needed). */
  doc(fd: number, name: string, st: { ino: number; size: number; mtimeMs: number }): Promise<string> {
    const key = `${name}:${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const out = join(this.dir, `${this.n++}.json`);
    const build = this.chain.then(() => writeDocFromJournal({ fd, name }, out)).then(() => out);
    this.chain = build.catch(() => undefined);
    this.entries.set(key, build);
    build.catch(() => {
      this.entries.delete(key);
      rmSync(out, { force: true });
    });
    while (this.entries.size > this.maxEntries) {
      const [oldKey, old] = this.entries.entries().next().value!;
      this.entries.delete(oldKey);
      void old.then(
        (p) => rmSync(p, { force: true }),
        () => undefined,
      );
    }
    return build;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
