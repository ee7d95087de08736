/**
 * Ctrl-Z and fg in a real shell (issue 24 item 4): an interactive bash in tmux runs the dashboard;
 * Ctrl-Z hands the terminal back (the shell says Stopped), `fg` brings the whole frame back.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, sleep, tempDir } from '../helpers/gen.js';
import { tmux } from '../helpers/tmux.js';

async function screenUntil(session: string, re: RegExp, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = tmux('capture-pane', '-p', '-t', session);
    if (re.test(last)) return last;
    await sleep(200);
  }
  throw new Error(`screen never matched ${re}; last screen:\n${last}`);
}

describe('Ctrl-Z suspends, fg resumes with a redraw', () => {
  it('the shell gets the terminal back, then the dashboard comes back whole; quitting leaves no stray escape', async () => {
    const dir = tempDir('gw-suspend-');
    const s = 'suspend';
    tmux(
      'new-session',
      '-d',
      '-s',
      s,
      '-x',
      '100',
      '-y',
      '30',
      '-c',
      dir,
      `env -i PATH='${process.env.PATH}' HOME='${dir}' TERM=xterm-256color LANG=C.UTF-8 PS1='gw-test$ ' bash --norc --noprofile -i`,
    );
    try {
      await screenUntil(s, /gw-test\$ ?$/m, 20_000);
      // A short command line (the checkout's path can be 150 characters): the shell's "Stopped" line stays one line.
      writeFileSync(join(dir, 'gw'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
      chmodSync(join(dir, 'gw'), 0o755);
      tmux('send-keys', '-t', s, './gw monitor --probe simulated', 'Enter');
      await screenUntil(s, /MONITOR running/, 40_000);
      tmux('send-keys', '-t', s, 'C-z');
      const stopped = await screenUntil(s, /Stopped +\.\/gw monitor --probe simulated\n.*gw-test\$/, 20_000);
      expect(stopped).not.toMatch(/MONITOR running/); // the main screen, not the dashboard's
      tmux('send-keys', '-t', s, 'fg', 'Enter');
      const back = await screenUntil(s, /MONITOR running[\s\S]*q quit/, 20_000);
      expect(back.split('\n')[0]).toMatch(/^genwatt \d+\.\d+\.\d+ · /); // the whole frame, from its first line
      // keys work again (raw mode is back): ? opens the help
      tmux('send-keys', '-t', s, '?');
      await screenUntil(s, /help/i, 20_000);
      tmux('send-keys', '-t', s, 'Escape');
      tmux('send-keys', '-t', s, 'q');
      // the prompt after the resumed job's line: genwatt has exited, and left no frame on the main screen
      const after = await screenUntil(s, /^gw-test\$ fg\n\.\/gw monitor --probe simulated\n\s*gw-test\$ ?$/m, 30_000);
      expect(after).not.toContain('?[?25h');
    } finally {
      tmux('kill-session', '-t', s);
    }
  }, 150_000);
});
