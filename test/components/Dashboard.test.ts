import { render as inkRender } from 'ink';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { segmentStyle, styledLine } from '../../components/ansi.js';
import { Dashboard } from '../../components/Dashboard.js';
import stringWidth from 'string-width';
import { row, view } from '../helpers/view.js';
import { FakeStdin, FakeStdout, stripAnsi, tick } from '../helpers/term.js';

const noop = () => undefined;

describe('Dashboard (Ink)', () => {
  it('non-TTY branch (ink-testing-library, 100 columns, no raw mode): draws the frame without key handling', () => {
    const { lastFrame, unmount } = render(createElement(Dashboard, { view: view({ width: 100, height: 30 }), onKey: noop, keys: false }));
    const f = stripAnsi(lastFrame()!);
    expect(f).toMatch(/power 313 W instant/);
    expect(f).toMatch(/images \(12\)/);
    unmount();
  });

  for (const [w, h] of [
    [80, 24],
    [120, 40],
    [200, 50],
  ] as const)
    it(`${w}×${h} TTY: every line fits, the frame is one line shorter than the terminal`, async () => {
      const out = new FakeStdout(w, h);
      const inst = inkRender(createElement(Dashboard, { view: view({ width: w, height: h, deviceCount: 2 }), onKey: noop, keys: true }), {
        stdout: out as unknown as NodeJS.WriteStream,
        stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
        debug: true,
        patchConsole: false,
        exitOnCtrlC: false,
      });
      await tick();
      const lines = out.last().replace(/\n$/, '').split('\n');
      expect(lines.length).toBe(h - 1);
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(w);
      expect(out.last()).toMatch(/VRAM 20\.0\/80\.0 GiB/);
      inst.unmount();
    });

  it('file names with CJK, emoji and an ESC: what Ink writes fits 80 cells a line (string-width), and only genwatt’s own color codes reach the terminal', async () => {
    const names = ['/out/猫の画像_可愛い猫_高品質_00012.png', '/out/🐱🐱_cat_00013.png', '/out/evil\x1b[2J\x1b]0;owned\x07_00015.png'];
    const v = view({ width: 80, height: 24 });
    const out = new FakeStdout(80, 24);
    const rows = names.map((path, i) => row(i, { path }));
    const inst = inkRender(createElement(Dashboard, { view: { ...v, rows }, onKey: noop, keys: false }), {
      stdout: out as unknown as NodeJS.WriteStream,
      debug: true,
      patchConsole: false,
    });
    await tick();
    const frame = out.frames.at(-1)!;
    for (const l of frame.replace(/\n$/, '').split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    expect(frame.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(stripAnsi(frame)).toMatch(/_高品質_00012\.png/);
    inst.unmount();
  });

  it('colors only when allowed: no color prop at all with color off (NO_COLOR / --no-color)', () => {
    const segs = [
      { text: 'x', tone: 'power' as const },
      { text: 'y', tone: 'dim' as const },
      { text: 'z', tone: 'selected' as const, bold: true },
    ];
    expect(segs.map((s) => segmentStyle(s, true))).toEqual([{ fg: 32 }, { fg: 90 }, { bold: true, fg: 33 }]);
    expect(segs.map((s) => segmentStyle(s, false))).toEqual([{}, { dim: true }, { bold: true, inverse: true }]);
    expect(styledLine(segs, false)).toBe('x\x1b[2my\x1b[22m\x1b[1m\x1b[7mz\x1b[27m\x1b[22m');
    expect(styledLine(segs, false)).not.toMatch(/\x1b\[(3[0-7]|9[0-7])m/);
    expect(styledLine(segs, true)).toBe('\x1b[32mx\x1b[39m\x1b[90my\x1b[39m\x1b[1m\x1b[33mz\x1b[39m\x1b[22m');
  });

  it('keys reach onKey as Ink parses them (arrows, letters, Ctrl-C)', async () => {
    const got: string[] = [];
    const stdin = new FakeStdin();
    const inst = inkRender(
      createElement(Dashboard, {
        view: view(),
        onKey: (input, key) => got.push(key.leftArrow ? 'left' : key.ctrl && input === 'c' ? 'ctrl-c' : key.return ? 'enter' : input),
        keys: true,
      }),
      {
        stdout: new FakeStdout(80, 24) as unknown as NodeJS.WriteStream,
        stdin: stdin as unknown as NodeJS.ReadStream,
        debug: true,
        patchConsole: false,
        exitOnCtrlC: false,
      },
    );
    await tick();
    for (const k of ['g', '\x1b[D', '\r', '\x03']) {
      stdin.type(k);
      await tick();
    }
    expect(got).toEqual(['g', 'left', 'enter', 'ctrl-c']);
    inst.unmount();
  });

  it('strips nothing it should not: the frame text equals the pure frame', async () => {
    const out = new FakeStdout(80, 24);
    const v = view();
    const inst = inkRender(createElement(Dashboard, { view: v, onKey: noop, keys: false }), {
      stdout: out as unknown as NodeJS.WriteStream,
      debug: true,
      patchConsole: false,
    });
    await tick();
    const { frameLines } = await import('../../components/frame.js');
    const { lineText } = await import('../../components/lines.js');
    const expected = frameLines(v).map((l) => lineText(l).trimEnd());
    expect(
      stripAnsi(out.last())
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => l.trimEnd()),
    ).toEqual(expected);
    inst.unmount();
  });
});
