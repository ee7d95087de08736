/** Keys that decide at once, on a controller over a recorded session (no timers involved). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardController } from '../../../src/dashboard/controller.js';
import { ReplaySource } from '../../../src/dashboard/replay-source.js';
import { readSession } from '../../../src/session/reader.js';
import { ROOT } from '../../helpers/gen.js';

async function controller(now: () => number) {
  const src = new ReplaySource(await readSession(join(ROOT, 'fixtures/sessions/demo-8.json')), { speed: 1 });
  return new DashboardController(src, { ascii: false, color: false, now });
}

describe('Escape Escape', () => {
  it("two ESC bytes in one read come as two Escapes at once (Ink's and the raw listener's) and quit", async () => {
    const c = await controller(() => 5000);
    const quit = new Promise<void>((r) => c.once('quit', r));
    c.key('', { escape: true });
    c.key('', { escape: true });
    await quit;
  });

  it('two presses a second or more apart do not', async () => {
    let t = 0;
    const c = await controller(() => t);
    let quit = false;
    c.once('quit', () => (quit = true));
    c.key('', { escape: true });
    t = 1500;
    c.key('', { escape: true });
    await new Promise((r) => setImmediate(r));
    expect(quit).toBe(false);
    t = 1900;
    c.key('', { escape: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(quit).toBe(true);
  });
});

describe('keys as terminal users expect', () => {
  /** The demo recording replayed to its end (all 8 rows), in a controller whose table shows a few rows. */
  async function atEnd() {
    const src = new ReplaySource(await readSession(join(ROOT, 'fixtures/sessions/demo-8.json')), { speed: 1 });
    src.seekTo(src.durationMs);
    const c = new DashboardController(src, { ascii: false, color: false, now: () => 0 });
    return c;
  }

  it('Home then PgDn moves: the furthest back is the screen whose top row is the first image, and ↑ past it adds nothing', async () => {
    const c = await atEnd();
    let v = c.view(100, 18);
    const rows = v.rows.length;
    expect(rows).toBe(8);
    c.key('', { home: true });
    v = c.view(100, 18);
    const top = v.tableOffset ?? 0;
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(rows - 1);
    c.key('', { upArrow: true });
    c.key('k', {});
    expect(c.view(100, 18).tableOffset).toBe(top);
    c.key('', { pageDown: true });
    expect(c.view(100, 18).tableOffset).toBeLessThan(top);
    c.key('', { end: true });
    c.key('k', {});
    expect(c.view(100, 18).tableOffset).toBe(1);
    c.key('j', {});
    expect(c.view(100, 18).tableOffset).toBe(0);
  });

  it('h and F1 open the help like ?; a key that does nothing says where the keys are', async () => {
    const c = await atEnd();
    c.key('h', {});
    expect(c.overlay).toBe('help');
    c.key('x', {});
    expect(c.overlay).toBe('none');
    c.key('', { f1: true });
    expect(c.overlay).toBe('help');
    c.key('x', {});
    c.key('z', {});
    expect(c.view(100, 18).status).toBe('z: no such key here; press ? for keys');
  });

  it('Ctrl-Z asks the host to suspend, except while a run is measuring (sampling would stop, the generator would not): then it says why', async () => {
    const c = await atEnd();
    let suspends = 0;
    c.on('suspend', () => suspends++);
    c.key('z', { ctrl: true });
    expect(suspends).toBe(1);
    // the same key while a run measures
    (c.source as { running?: () => boolean }).running = () => true;
    c.key('z', { ctrl: true });
    expect(suspends).toBe(1);
    expect(c.view(120, 18).status).toMatch(/^Ctrl-Z is refused while a run is measuring .*q stops the run$/);
  });

  it('a status the source retracts (waiting for a folder that now has images) leaves the status line; a newer one stays', async () => {
    const c = await atEnd();
    const waiting = 'watcher: waiting for /srv/out to appear';
    c.source.emit('status', waiting);
    expect(c.view(120, 18).status).toBe(waiting);
    c.source.emit('status-retract', waiting);
    expect(c.view(120, 18).status).toBeNull();
    c.source.emit('status', waiting);
    c.source.emit('status', 'run failed: exit 3');
    c.source.emit('status-retract', waiting);
    expect(c.view(120, 18).status).toBe('run failed: exit 3');
  });

  it('a lone Escape (Ink marks it meta) closes an overlay and never quits', async () => {
    const c = await atEnd();
    let quit = false;
    c.once('quit', () => (quit = true));
    c.key('g', {});
    expect(c.overlay).toBe('chart');
    c.key('', { escape: true });
    expect(c.overlay).toBe('none');
    await new Promise((r) => setTimeout(r, 50));
    expect(quit).toBe(false);
  });
});

describe('help and the quit question at 80×24', () => {
  it('help wraps (nothing cut) and scrolls when taller than the screen; another key closes it', async () => {
    const { frameLines } = await import('../../../components/frame.js');
    const { lineText } = await import('../../../components/lines.js');
    let wall = 0;
    const src = new ReplaySource(await readSession(join(ROOT, 'fixtures/sessions/demo-8.json')), { speed: 1, now: () => wall });
    wall = 1;
    const c = new DashboardController(src, { ascii: false, color: false, now: () => 0 });
    c.key('?', {});
    const text = () => frameLines(c.view(80, 24)).map((l) => lineText(l));
    const first = text();
    const title = first.find((l) => l.startsWith('── help'))!;
    expect(title).toMatch(/help 1-\d+ of \d+, arrows scroll/);
    expect(first.join('\n')).not.toContain('…');
    expect(first.some((l) => l.includes('quit (during a run q asks first: q again stops it, finishes its'))).toBe(true);
    c.key('', { downArrow: true });
    expect(text().find((l) => l.startsWith('── help'))).toMatch(/help 2-/);
    c.key('', { pageDown: true });
    c.key('', { pageDown: true });
    c.key('', { pageDown: true });
    const last = text().join('\n');
    expect(last).toContain('start genwatt inside tmux or screen.');
    expect(c.overlay).toBe('help');
    c.key('x', {});
    expect(c.overlay).toBe('none');
    // opened again: from the top
    c.key('?', {});
    expect(text().find((l) => l.startsWith('── help'))).toMatch(/help 1-/);
  });
});
