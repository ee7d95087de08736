/** The output watcher on real folders, with files written by a real generator process. */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageEvent } from '../../../src/images/batches.js';
import { OutputWatcher } from '../../../src/images/watcher.js';
import { WatchFolderError } from '../../../src/images/folder-wait.js';
import { checkComplete } from '../../../src/images/image-complete.js';
import { GENERATOR, sleep, tempDir, waitFor } from '../../helpers/gen.js';
import { pngFile } from '../../../fixtures/png-writer.mjs';

let w: OutputWatcher | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function watch(dir: string) {
  const events: ImageEvent[] = [];
  const notes: string[] = [];
  w = new OutputWatcher(dir, { waitPollMs: 50 });
  w.on('image', (e: ImageEvent) => events.push(e));
  w.on('note', (m: string) => notes.push(m));
  return { events, notes, started: w.start() };
}

/**
 * Every file now in the folder has been looked at and decided: the last look (sweep) considers
 * each one, and nothing is still being checked. An assertion that something was NOT counted is
 * made after this, never after a fixed sleep (which passes when the watcher is merely slow).
 */
async function settled(watcher: OutputWatcher): Promise<void> {
  await watcher.sweep();
  await waitFor(() => watcher.pendingCount === 0, 20_000);
}

function generate(out: string, ...args: string[]) {
  execFileSync(process.execPath, [GENERATOR, '--out', out, '--seconds', '0.05', '--load-seconds', '0', ...args]);
}

describe('output watcher', () => {
  it('counts tmp + rename images once each, with the final file’s mtime and size', async () => {
    const dir = tempDir();
    const { events, started } = await watch(dir);
    await started;
    generate(dir, '--count', '4', '--write', 'atomic');
    await waitFor(() => events.length === 4, 20_000);
    await settled(w!);
    expect(events).toHaveLength(4);
    expect(events.every((e) => !e.path.endsWith('.tmp'))).toBe(true);
    for (const e of events) expect(e.bytes).toBe(readFileSync(e.path).length);
  });

  it('a file written in place in two halves is one image, counted once, complete', async () => {
    const dir = tempDir();
    const { events, started } = await watch(dir);
    await started;
    generate(dir, '--count', '3', '--write', 'halves');
    await waitFor(() => events.length === 3, 20_000);
    await settled(w!);
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(await checkComplete(e.path)).toBe('complete');
      expect(e.bytes).toBe(readFileSync(e.path).length);
    }
  });

  it('ignores files present before the start (unless written again), dotfiles, *.tmp and non-images', async () => {
    const dir = tempDir();
    generate(dir, '--count', '2');
    const { events, started } = await watch(dir);
    await started;
    // reading or appending nothing to an old file is not a new image
    readFileSync(join(dir, '00000-1000.png'));
    appendFileSync(join(dir, '00001-1001.png'), '');
    const png = readFileSync(join(dir, '00000-1000.png'));
    writeFileSync(join(dir, '.hidden.png'), png);
    writeFileSync(join(dir, 'x.png.tmp'), png);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    await settled(w!);
    expect(events).toHaveLength(0);
    writeFileSync(join(dir, 'new.png'), png);
    await waitFor(() => events.length === 1);
    expect(events[0].path).toBe(join(dir, 'new.png'));
    // A generator that reuses its names (sd-cli -o out_%03d.png, a repeated plan run) writes an old
    // file again: that is this run's image. (Its mtime is after the start; a bare touch looks the
    // same and would count too: genwatt cannot tell identical bytes written again from a touch.)
    writeFileSync(join(dir, '00000-1000.png'), png);
    await waitFor(() => events.length === 2);
    expect(events[1].path).toBe(join(dir, '00000-1000.png'));
  });

  it('a name written again once complete is a new image each time (a generator reusing its names, a file rewritten each second); the same write seen again is not', async () => {
    const dir = tempDir();
    const { events, notes, started } = await watch(dir);
    await started;
    for (let k = 0; k < 8; k++) {
      writeFileSync(join(dir, 'latest.png'), pngFile(32, 32, [], k));
      await waitFor(() => events.length === k + 1, 20_000);
    }
    // the last look sees latest.png once more, unchanged: not a ninth image
    await settled(w!);
    expect(events).toHaveLength(8);
    expect(new Set(events.map((e) => e.path))).toEqual(new Set([join(dir, 'latest.png')]));
    expect(notes.filter((n) => /latest\.png was written again after it was counted/.test(n))).toHaveLength(1);
  });

  it('one write in slow chunks, then its time set back (cp -p): one image, not one per event', async () => {
    const dir = tempDir();
    const { events, started } = await watch(dir);
    await started;
    const data = pngFile(256, 256, [['parameters', 'x'.repeat(20_000)]], 3);
    const f = join(dir, 'copied.png');
    const fd = openSync(f, 'w');
    for (let at = 0; at < data.length; at += 4096) {
      writeSync(fd, data, at, Math.min(4096, data.length - at));
      await sleep(5);
    }
    closeSync(fd);
    await waitFor(() => events.length === 1, 20_000);
    utimesSync(f, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    await settled(w!);
    expect(events).toHaveLength(1);
    expect(events[0].bytes).toBe(data.length);
  });

  it('counts images in subfolders created during the run (Forge: outputs/txt2img-images/DATE/)', async () => {
    const dir = tempDir();
    const { events, started } = await watch(dir);
    await started;
    generate(join(dir, 'txt2img-images', '2026-11-25'), '--count', '3');
    await waitFor(() => events.length === 3);
    expect(events.every((e) => e.path.includes(join('txt2img-images', '2026-11-25')))).toBe(true);
  });

  it('waits for a folder that does not exist yet, then counts everything in it', async () => {
    const dir = join(tempDir(), 'later', 'out');
    const { events, started } = await watch(dir);
    let waited = false;
    w!.on('waiting', () => (waited = true));
    await waitFor(() => waited);
    const child = spawn(process.execPath, [GENERATOR, '--out', dir, '--count', '3', '--seconds', '0.05', '--load-seconds', '0']);
    await started;
    await new Promise((r) => child.on('exit', r));
    await waitFor(() => events.length === 3, 20_000);
    await settled(w!);
    expect(events).toHaveLength(3);
  });

  it('an image is still pending from its `complete` until its `image` event (metadata and blank check): a run that ends meanwhile waits for it', async () => {
    const dir = tempDir();
    const { events, started } = await watch(dir);
    await started;
    const atComplete: number[] = [];
    w!.on('complete', () => atComplete.push(w!.pendingCount));
    generate(dir, '--count', '2');
    await waitFor(() => events.length === 2);
    expect(atComplete).toHaveLength(2);
    expect(Math.min(...atComplete)).toBeGreaterThanOrEqual(1);
    expect(w!.pendingCount).toBe(0);
  });

  it('the last look (sweep) watches a folder that appeared since the last poll and counts its images; images already counted are not counted again', async () => {
    const dir = join(tempDir(), 'later');
    const events: ImageEvent[] = [];
    // The poll for the missing folder would look again only after a minute: only the sweep can find it.
    w = new OutputWatcher(dir, { waitPollMs: 60_000 });
    w.on('image', (e: ImageEvent) => events.push(e));
    const started = w.start();
    const waiting = () => (w as unknown as { wake?: unknown }).wake !== undefined;
    await waitFor(waiting);
    generate(dir, '--count', '2');
    expect(waiting()).toBe(true); // still between two looks a minute apart: only the sweep can find the folder
    expect(events).toHaveLength(0);
    await w.sweep();
    await started;
    await waitFor(() => events.length === 2 && w!.pendingCount === 0, 20_000);
    await settled(w);
    expect(events.map((e) => e.path).sort()).toEqual([...new Set(events.map((e) => e.path))].sort());
    expect(events).toHaveLength(2);
  });

  it('never counts a truncated image (a writer that died mid-file)', async () => {
    const dir = tempDir();
    const src = tempDir();
    generate(src, '--count', '1');
    const png = readFileSync(join(src, '00000-1000.png'));
    w = new OutputWatcher(dir, { settleMs: 100, abandonMs: 500 });
    const events: ImageEvent[] = [];
    const notes: string[] = [];
    w.on('image', (e: ImageEvent) => events.push(e));
    w.on('note', (m: string) => notes.push(m));
    await w.start();
    writeFileSync(join(dir, 'dead.png'), png.subarray(0, png.length - 100));
    await waitFor(() => notes.length > 0, 20_000);
    expect(events).toHaveLength(0);
    expect(notes[0]).toMatch(/dead\.png stayed incomplete/);
  });

  it('an unreadable folder is a clear error', async () => {
    if (process.getuid?.() === 0) {
      // root reads everything: use a file where a folder is expected instead
      const f = join(tempDir(), 'file.png');
      writeFileSync(f, 'x');
      const ww = new OutputWatcher(f);
      await expect(ww.start()).rejects.toThrow(WatchFolderError);
      await expect(new OutputWatcher(f).start()).rejects.toThrow(/is a file, not a folder/);
      return;
    }
    const dir = tempDir();
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o000);
    await expect(new OutputWatcher(join(dir, 'locked')).start()).rejects.toThrow(/not readable|permission denied/);
  });
});

describe('image completeness', () => {
  it('PNG needs its IEND chunk', async () => {
    const dir = tempDir();
    generate(dir, '--count', '1');
    const f = join(dir, '00000-1000.png');
    expect(await checkComplete(f)).toBe('complete');
    const png = readFileSync(f);
    writeFileSync(join(dir, 'half.png'), png.subarray(0, png.length >> 1));
    expect(await checkComplete(join(dir, 'half.png'))).toBe('incomplete');
    renameSync(join(dir, 'half.png'), join(dir, 'half2.png'));
  });

  it('JPEG needs its EOI marker; WebP its RIFF length', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xff, 0xd9]));
    writeFileSync(join(dir, 'b.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]));
    expect(await checkComplete(join(dir, 'a.jpg'))).toBe('complete');
    expect(await checkComplete(join(dir, 'b.jpg'))).toBe('incomplete');
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.writeUInt32LE(22, 4);
    webp.write('WEBP', 8, 'latin1');
    writeFileSync(join(dir, 'c.webp'), webp);
    writeFileSync(join(dir, 'd.webp'), webp.subarray(0, 20));
    expect(await checkComplete(join(dir, 'c.webp'))).toBe('complete');
    expect(await checkComplete(join(dir, 'd.webp'))).toBe('incomplete');
  });
});
