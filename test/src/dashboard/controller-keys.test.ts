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
  it('two ESC bytes in one read (Ink: escape with meta) quit, like two presses within a second', async () => {
    const c = await controller(() => 0);
    const quit = new Promise<void>((r) => c.once('quit', r));
    c.key('', { escape: true, meta: true });
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
