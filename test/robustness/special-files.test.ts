/**
 * Guarantees: only regular files are opened in a watched folder, and symlinked folders are not
 * followed. On ffcd592 a FIFO renamed over an image after its PNG signature tied up every libuv file
 * thread (later images never counted; neither SIGINT nor SIGTERM ended genwatt), `ln -s /usr out/x`
 * added thousands of watches and counted system images, and `ln -s . out/loop` counted an image twice.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pngFile } from '../../fixtures/png-writer.mjs';
import { readSession } from '../../src/session/reader.js';
import { CLI, sleep, tempDir, waitFor } from '../helpers/gen.js';

/** `genwatt watch DIR` as a real process, recording; resolves once it says it is measuring. */
async function watch(out: string, rec: string) {
  const child = spawn(process.execPath, [CLI, 'watch', out, '--probe', 'simulated', '--interval', '50', '--idle', '0', '--plain', '--record', rec], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  await waitFor(() => /measuring/.test(stderr), 20000);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, images: () => (stdout.match(/^image /gm) ?? []).length, err: () => stderr };
}

const png = (seed: number) => pngFile(32, 32, [['parameters', `a cat\nSteps: 20, Seed: ${seed}, Size: 32x32`]], seed);

describe('special files in a watched folder', () => {
  it('a FIFO renamed over a half-written PNG: ignored with one note; later images count; SIGINT still ends genwatt', async () => {
    const dir = tempDir('gw-fifo-');
    const out = join(dir, 'out');
    mkdirSync(out);
    const w = await watch(out, join(dir, 'r.json'));
    // A PNG signature and a little more, then a FIFO renamed over it (nobody ever writes the FIFO).
    writeFileSync(join(out, 'x.png'), png(1).subarray(0, 40));
    await sleep(150);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    renameSync(join(dir, 'fifo'), join(out, 'x.png'));
    execFileSync('mkfifo', [join(out, 'y.png')]);
    await sleep(600);
    for (let k = 0; k < 3; k++) {
      writeFileSync(join(out, `.tmp${k}`), png(10 + k));
      renameSync(join(out, `.tmp${k}`), join(out, `real-${k}.png`));
      await sleep(250);
    }
    await waitFor(() => w.images() >= 3, 15000);
    w.child.kill('SIGINT');
    const t0 = Date.now();
    expect(await w.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10000);
    const doc = (await readSession(join(dir, 'r.json'))).doc;
    expect(doc.rows.map((r) => r.path.split('/').pop()).sort()).toEqual(['real-0.png', 'real-1.png', 'real-2.png']);
    const notes = doc.notes.map((n) => n.message).filter((m) => /not a regular file|is a FIFO/.test(m));
    expect(notes.some((m) => m.includes('x.png'))).toBe(true);
    expect(notes.some((m) => m.includes('y.png'))).toBe(true);
    expect(notes.filter((m) => m.includes('y.png'))).toHaveLength(1); // one note each
  }, 60000);

  it('symlinked folders are not followed (/usr, a loop to the folder itself); a new image counts once', async () => {
    const dir = tempDir('gw-links-');
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'before.png'), png(1));
    const w = await watch(out, join(dir, 'r.json'));
    symlinkSync('/usr', join(out, 'x'));
    symlinkSync('.', join(out, 'loop'));
    await sleep(500);
    writeFileSync(join(out, '.n'), png(2));
    renameSync(join(out, '.n'), join(out, 'new.png'));
    await waitFor(() => w.images() >= 1, 15000);
    // the run's end takes a last look at the folder: whatever it would still count is in the recording
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
    const doc = (await readSession(join(dir, 'r.json'))).doc;
    expect(doc.rows.map((r) => r.path)).toEqual([join(out, 'new.png')]);
    const notes = doc.notes.map((n) => n.message);
    expect(notes.filter((m) => m.includes(`${join(out, 'x')} is a symbolic link: not followed`))).toHaveLength(1);
    expect(notes.filter((m) => m.includes(`${join(out, 'loop')} is a symbolic link: not followed`))).toHaveLength(1);
  }, 60000);
});
