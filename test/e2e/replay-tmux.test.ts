/** Replay in a real terminal (issue 24 item 10): it plays from its first frame; no frame says "paused" before a key did. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sleep } from '../helpers/gen.js';
import { start, tmux } from '../helpers/tmux.js';

describe('replay', () => {
  it('every frame before the first key says playing; space pauses', async () => {
    const s = start('replay', 100, 30, ['replay', join(ROOT, 'fixtures/sessions/demo-8.json')]);
    try {
      const frames: string[] = [];
      const end = Date.now() + 40_000;
      // Look as often as tmux answers, from before the first frame to well after it.
      while (Date.now() < end && frames.filter((f) => /REPLAY/.test(f)).length < 20) {
        frames.push(s.screen());
        await sleep(20);
      }
      const replayFrames = frames.filter((f) => /REPLAY/.test(f));
      expect(replayFrames.length, frames.at(-1)).toBeGreaterThanOrEqual(20);
      for (const f of replayFrames) expect(f.split('\n')[1]).toMatch(/REPLAY playing x1/);
      tmux('send-keys', '-t', s.session, ' ');
      const paused = Date.now() + 20_000;
      while (Date.now() < paused && !/REPLAY paused/.test(s.screen())) await sleep(100);
      expect(s.screen()).toMatch(/REPLAY paused/);
    } finally {
      tmux('kill-session', '-t', s.session);
    }
  }, 90_000);
});
