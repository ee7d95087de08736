/**
 * The dashboard at the sizes users run it in (tmux, capture-pane): every size says whether it
 * records and that the GPU is simulated, the key hints never go, the table scrolls, the process
 * panel marks the generator, quitting asks during a run, and below 40×12 it says it is too small.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { exitCode, start, tmux, until } from '../helpers/tmux.js';

const keys = (s: { session: string }, ...k: string[]) => tmux('send-keys', '-t', s.session, ...k);
const lastLine = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';

// Each test waits on the screen with its own bounds (a demo on a loaded machine takes a while):
// the test's limit is above their sum, so a failure shows the last screen, not a bare timeout.
describe('dashboard sizes and keys (tmux)', { timeout: 150_000 }, () => {
  it('40×12: REC, the simulated warning, an image row and the key hints; below it, "terminal too small"', async () => {
    const s = start('s40', 40, 12, ['demo', '--images', '4', '--idle', '0.5']);
    const running = await until(s, /0000\d-\d+\.png/, 40000);
    expect(running.split('\n')[0]).toMatch(/● REC …?[\w.-]*\.json$/);
    const screen = await until(s, /demo finished/, 40000);
    expect(screen.split('\n')[0]).toMatch(/recorded …?[\w.-]*\.json$/);
    expect(screen).toMatch(/SIMULATED GPU/);
    expect(screen).toMatch(/^ +\d+ 0000\d-\d+\.png/m);
    expect(lastLine(screen)).toMatch(/^q quit/);
    tmux('resize-window', '-t', s.session, '-x', '39', '-y', '12');
    const small = await until(s, /terminal too small/, 15_000);
    expect(small).toMatch(/terminal too small \(needs 40×12\)/);
    expect(small).toMatch(/recorded session\.json/); // the recording fact survives too
    expect(small).toMatch(/SIMULATED GPU/);
    expect(small).toMatch(/q quit/);
    keys(s, 'q');
    expect(await exitCode(s)).toBe(0);
  });

  it('80×24 without recording: "not recording"; the status line and the footer both stay once the demo ends; the table scrolls back to the warm-up row', async () => {
    const s = start('s80', 80, 24, ['demo', '--images', '14', '--idle', '0.5', '--no-record']);
    const screen = await until(s, /demo finished: 14 images/, 60000);
    expect(screen).toMatch(/not recording/);
    expect(screen).not.toMatch(/REC/);
    expect(lastLine(screen)).toMatch(/^q quit/); // the status did not replace the key hints
    expect(screen).toMatch(/\d+–14 of 14/); // position indicator
    expect(screen).not.toMatch(/^ +1 00000-/m); // the warm-up row scrolled away…
    keys(s, 'Home');
    const top = await until(s, /1–\d+ of 14/, 15_000);
    expect(top).toMatch(/^ +1 00000-\d+\.png.*warm-up/m); // …and Home brings it back
    keys(s, 'End');
    await until(s, /\d+–14 of 14/, 15_000);
    keys(s, 'Escape');
    keys(s, 'Escape');
    expect(await exitCode(s)).toBe(0);
  });

  it('120×40: the process panel (p) marks the generator; d with one GPU says so; the chart has a W axis; F10 quits', async () => {
    const s = start('s120', 120, 40, ['demo', '--images', '200', '--idle', '0.5']);
    const screen = await until(s, /00002-\d+\.png/, 40000);
    expect(screen).toMatch(/● REC session\.json/);
    expect(screen).toMatch(/^ +\d+ W [⠀-⣿]/mu); // W labels on the chart's axis
    keys(s, 'p');
    const procs = await until(s, /^● +\d+ +node /m, 20_000);
    // The marked row is the generator this genwatt started: its PID (the command itself is cut to
    // the width, and how much of it shows depends on where the checkout is).
    const pid = Number(/^● +(\d+) +node /m.exec(procs)![1]);
    expect(
      readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .some((a) => a.endsWith('demo-generator.mjs')),
      procs,
    ).toBe(true);
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), procs).toContain(s.record);
    expect(procs).toMatch(/\d+(\.\d+)? (MiB|GiB)/);
    keys(s, 'p');
    keys(s, 'd');
    await until(s, /only one GPU/, 15_000);
    keys(s, 'F10');
    expect(await exitCode(s)).toBe(130); // stopped during the run
    expect((await readSession(s.record)).doc.run.endReason).toBe('interrupted');
  });

  it('200×50: taller charts; the first q during a run asks, another key cancels, and the run goes on', async () => {
    const s = start('s200', 200, 50, ['demo', '--images', '200', '--idle', '0.5']);
    const screen = await until(s, /00001-\d+\.png/, 40000);
    const chartRows = screen.split('\n').filter((l) => /[⠀-⣿]{50}/u.test(l)).length;
    expect(chartRows).toBeGreaterThanOrEqual(16);
    keys(s, 'q');
    await until(s, /q again stops it/, 15_000);
    keys(s, 'x');
    await until(s, /^(?![\s\S]*q again stops it)/, 15_000);
    const later = await until(s, /00004-\d+\.png/, 20000); // still running
    expect(lastLine(later)).toMatch(/^q quit/);
    keys(s, 'q');
    await until(s, /q again stops it/, 15_000);
    keys(s, 'q');
    expect(await exitCode(s)).toBe(130);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.rows.length).toBeGreaterThanOrEqual(5);
  });
});
