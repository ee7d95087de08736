import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DashboardController } from '../../../src/dashboard/controller.js';
import { mountDashboard } from '../../../src/dashboard/ink-host.js';
import { ReplaySource } from '../../../src/dashboard/replay-source.js';
import { readSession } from '../../../src/session/reader.js';
import { ROOT, sleep, waitFor } from '../../helpers/gen.js';
import { FakeStdin, FakeStdout } from '../../helpers/term.js';

// genwatt mounts the dashboard only outside CI (terminal.ts), but this suite runs in CI: Ink
// (is-in-ci, read once when Ink loads) would then hold every frame until unmount. Drop the CI
// variables before Ink is loaded, so the frames here are the ones a user's terminal gets.
vi.hoisted(() => {
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[k];
});

async function mounted(cols = 80, rows = 24) {
  const src = new ReplaySource(await readSession(join(ROOT, 'fixtures/sessions/demo-8.json')), { speed: 1 });
  const c = new DashboardController(src, { ascii: false, color: false });
  const out = new FakeStdout(cols, rows);
  const stdin = new FakeStdin();
  const m = await mountDashboard(c, { stdout: out as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, altScreen: true, fps: 4 });
  return { src, c, out, stdin, m };
}

describe('mountDashboard', () => {
  // The policy itself is tested on a clock of its own (redraw-gate.test.ts). Here, with real timers:
  // the host draws what the gate decides, and never more often. A loaded machine only delays ticks,
  // so each bound is counted against the time that really passed.
  it('new data alone redraws, but never more than 2 times a second of elapsed time (a 200 Hz sampler)', async () => {
    const { src, c, m } = await mounted();
    const before = m.frames();
    const t0 = Date.now();
    const timer = setInterval(() => src.emit('change'), 5);
    await waitFor(() => m.frames() >= before + 6, 20_000).catch(() => undefined);
    const elapsedMs = Date.now() - t0;
    clearInterval(timer);
    const drawn = m.frames() - before;
    expect(drawn, `${drawn} frames in ${elapsedMs} ms`).toBeGreaterThanOrEqual(6);
    // one frame per data period (500 ms, less half a 250 ms tick of slack), plus the one in progress
    expect(drawn, `${drawn} frames in ${elapsedMs} ms`).toBeLessThanOrEqual(Math.floor(elapsedMs / 375) + 1);
    await c.quit();
    await m.done;
  });

  it('every key is answered with a frame; a key storm draws at most 4 frames a second of elapsed time', async () => {
    const { c, m, stdin } = await mounted();
    // one key: the next frame shows it
    const f0 = m.frames();
    stdin.type('g'); // toggles the history chart
    await waitFor(() => m.frames() > f0, 20_000);
    const before = m.frames();
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) {
      stdin.type('g');
      await sleep(10);
    }
    await waitFor(() => m.frames() > before, 20_000);
    const elapsedMs = Date.now() - t0;
    const drawn = m.frames() - before;
    expect(drawn, `${drawn} frames in ${elapsedMs} ms`).toBeLessThanOrEqual(Math.floor(elapsedMs / 250) + 1);
    await c.quit();
    await m.done;
  });

  it('uses the alternate screen and leaves it on quit (q typed on stdin)', async () => {
    const { out, stdin, m } = await mounted();
    expect(out.frames[0]).toContain('\x1b[?1049h');
    await sleep(50);
    stdin.type('q');
    await m.done;
    expect(out.frames.at(-1)).toContain('\x1b[?1049l');
  });

  it('reflows on resize: the next frame has the new width', async () => {
    const { out, c, m } = await mounted(120, 30);
    const wide = () =>
      out
        .last()
        .split('\n')
        .some((l) => [...l].length > 100);
    // the first frame may come late on a loaded machine: wait for it instead of a fixed sleep
    await waitFor(wide, 5000).catch(() => {
      throw new Error(`no 120-column frame in 5 s (${out.frames.length} writes; Ink holds frames when it thinks it runs in CI)`);
    });
    out.resize(60, 20);
    const narrow = () =>
      out
        .last()
        .replace(/\n$/, '')
        .split('\n')
        .every((l) => [...l].length <= 60);
    await waitFor(() => !wide() && narrow(), 5000).catch(() => undefined);
    const lines = out.last().replace(/\n$/, '').split('\n');
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(60);
    await c.quit();
    await m.done;
  });
});
