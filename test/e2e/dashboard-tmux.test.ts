/**
 * The built CLI in a real terminal: tmux runs `genwatt demo`, the test reads the screen with
 * capture-pane, presses q, and checks the recording. tmux is required (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { waitFor } from '../helpers/gen.js';

import { exitCode, start, tmux, until } from '../helpers/tmux.js';

// Each test waits on the screen with its own bounds; the test's limit is above their sum, so a
// failure shows the last screen, not a bare timeout.
describe('dashboard in a real terminal (tmux)', { timeout: 150_000 }, () => {
  it('80×24: sparkline, power in W, VRAM, image rows; q exits and the session file is complete', async () => {
    const s = start('small', 80, 24, ['demo', '--images', '6']);
    const screen = await until(s, /demo finished: 6 images/, 40000);
    const lines = screen.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(screen).toMatch(/power \d+(\.\d)? W instant/);
    expect(screen).toMatch(/VRAM \d+\.\d+\/24\.0 GiB/);
    expect(screen).toMatch(/[⣀-⣿▁-█]/u); // braille chart or block sparkline characters
    expect(screen).toMatch(/00005-\d+\.png/);
    expect(screen).toMatch(/warm-up/);
    const withEscapes = s.screen(true);
    expect(withEscapes).toMatch(/\x1b\[(3[0-7]|9[0-7]|38;5;)/); // colors in a colour terminal
    tmux('send-keys', '-t', s.session, 'q');
    expect(await exitCode(s)).toBe(0);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.rows).toHaveLength(6);
    // After the alternate screen closes, the summary stays in the terminal.
    expect(s.screen()).toMatch(/J\/image +mean [\d.]+ J/);
  });

  it('200×50 with NO_COLOR and a C locale: no colors, ASCII only; q during the run stops it and still finishes the recording', async () => {
    const s = start('big', 200, 50, ['demo', '--images', '40'], { NO_COLOR: '1', LANG: 'C' });
    const screen = await until(s, /00001-\d+\.png/, 40000);
    expect(/^[\x20-\x7e\n]*$/.test(screen)).toBe(true);
    expect(screen).toMatch(/[_.\-=+*#@]{5,}/); // ASCII chart
    expect(screen.split('\n').some((l) => l.length > 150)).toBe(true); // uses the width
    expect(s.screen(true)).not.toMatch(/\x1b\[(3[0-7]|9[0-7]|38;5;)/);
    tmux('send-keys', '-t', s.session, 'q');
    await until(s, /q again stops it/, 15_000); // a run is active: the first q asks
    tmux('send-keys', '-t', s.session, 'q');
    expect(await exitCode(s)).toBe(130);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.run.endReason).toBe('interrupted');
  });

  it('TERM=dumb keeps the plain line output even in a terminal', async () => {
    const s = start('dumb', 100, 30, ['demo', '--images', '3', '--idle', '0.5'], { TERM: 'dumb' });
    expect(await exitCode(s, 60_000)).toBe(0);
    const screen = s.screen();
    expect(screen).toMatch(/image 3\/3 {2}00002-\d+\.png/);
    expect(screen).not.toMatch(/q quit/);
  });

  it('a dropped connection (the terminal closes: SIGHUP) stops the run and finishes the recording', async () => {
    const s = start('hup', 80, 24, ['demo', '--images', '40']);
    await until(s, /00001-\d+\.png/, 40000);
    tmux('kill-session', '-t', s.session);
    await waitFor(() => existsSync(s.record), 30_000).catch(() => undefined);
    const loaded = await readSession(s.record);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.run.endReason).toBe('interrupted');
    expect(loaded.doc.run.exit?.reason).toBe('stopped');
  });
});
