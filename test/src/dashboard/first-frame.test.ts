/** The first frame, drawn before Ink loads (issue 24 item 18), and the alternate screen entered and left once. */
import { describe, expect, it } from 'vitest';
import { leaveAltScreen } from '../../../src/dashboard/alt-screen.js';
import { drawFirstFrame } from '../../../src/dashboard/first-frame.js';
import { genwattVersion } from '../../../src/package-info.js';
import { textWidth } from '../../../src/text/text-width.js';
import { start, tmux, until } from '../../helpers/tmux.js';
import { tempDir } from '../../helpers/gen.js';

function fakeTerminal(columns: number, rows: number) {
  const writes: string[] = [];
  const out = { columns, rows, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  return { out, writes };
}

describe('first frame', () => {
  it('the starting frame fills the terminal on the alternate screen: header, "detecting devices", the key hints; leaving happens once', () => {
    const { out, writes } = fakeTerminal(80, 24);
    drawFirstFrame(out, { ascii: false, color: false, mode: 'monitor' });
    const all = writes.join('');
    expect(all.startsWith('\x1b[?1049h')).toBe(true);
    const lines = all
      .replace(/^\x1b\[\?1049h\x1b\[H\x1b\[\?25l/, '')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\r\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(textWidth(l)).toBeLessThanOrEqual(80);
    expect(lines[0]).toContain(`genwatt ${genwattVersion()}`);
    expect(all).toContain('detecting devices');
    expect(lines.at(-1)).toMatch(/q quit/);
    leaveAltScreen();
    leaveAltScreen(); // a second leave would restore the saved cursor over what was printed since
    expect(writes.filter((w) => w.includes('\x1b[?1049l'))).toHaveLength(1);
  });

  it('a failure after the first frame (no GPU) leaves the alternate screen first: the message stays, with no escape shown as text', async () => {
    const empty = tempDir('gw-nopath-'); // no vendor tool on PATH: nvidia-smi is not found
    const s = start('nogpu', 100, 30, ['monitor', '--probe', 'nvidia-smi', '--no-record'], { PATH: empty });
    try {
      const screen = await until(s, /genwatt: no GPU found \(nvidia-smi: nvidia-smi not found on PATH\)/, 30_000);
      expect(screen).not.toMatch(/\?\[\?1049|\?\[\?25/);
      expect(screen).not.toMatch(/detecting devices/); // the first frame went with its screen
    } finally {
      tmux('kill-session', '-t', s.session);
    }
  }, 60_000);
});
