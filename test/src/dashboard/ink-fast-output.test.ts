/**
 * The fast frame path gives the terminal the same cells and styles as Ink's own Output.get, on real
 * dashboard frames (colour and ASCII, several sizes, one and eight GPUs, the overlays), and steps
 * aside for anything else.
 */
import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { styledLine } from '../../../components/ansi.js';
import { frameLines } from '../../../components/frame.js';
import { placeholder } from '../../../components/Dashboard.js';
import { fastFrame, installFastOutput } from '../../../src/dashboard/ink-fast-output.js';
import { view } from '../../helpers/view.js';

type OutputClass = new (o: { width: number; height: number }) => {
  write(x: number, y: number, text: string, o: { transformers: ((l: string, i: number) => string)[] }): void;
  clip(c: object): void;
  get(): { output: string; height: number };
};

async function inkOutput(): Promise<OutputClass> {
  const req = createRequire(import.meta.url);
  return ((await import(pathToFileURL(join(dirname(req.resolve('ink')), 'output.js')).href)) as { default: OutputClass }).default;
}

/** What a terminal shows: per row, each cell's text and its effective styles. */
function cells(frame: string): string[][] {
  return frame
    .split('\n')
    .map((line) =>
      styledCharsFromTokens(tokenize(line)).map(
        (c) =>
          `${c.value}|${c.styles
            .map((s) => s.code)
            .sort()
            .join(',')}`,
      ),
    )
    .map((row) => {
      while (row.length && row[row.length - 1] === ' |') row.pop();
      return row;
    });
}

describe('fast frame output', () => {
  it('prints what Ink prints, cell by cell, on real dashboard frames', async () => {
    const Output = await inkOutput();
    const original = Output.prototype.get; // before the fast path is installed
    for (const [width, height, deviceCount, color, ascii, overlay] of [
      [80, 24, 1, true, false, 'none'],
      [120, 40, 1, true, false, 'processes'],
      [200, 50, 8, true, false, 'none'],
      [100, 30, 2, false, true, 'help'],
      [40, 12, 1, true, false, 'none'],
      [39, 12, 1, true, false, 'none'],
    ] as const) {
      const v = view({ width, height, deviceCount, color, ascii, overlay, rowCount: 30 } as never);
      const lines = frameLines(v).map((l) => styledLine(l, color));
      const make = () => {
        const o = new Output({ width, height: height - 1 });
        o.write(0, 0, placeholder(width, Math.max(1, lines.length)), { transformers: [(_l, i) => lines[i] ?? ''] });
        return o;
      };
      const fast = fastFrame(make() as never);
      expect(fast, `${width}x${height}`).toBeDefined();
      const slow = original.call(make());
      expect(fast!.height).toBe(slow.height);
      expect(cells(fast!.output)).toEqual(cells(slow.output));
    }
  });

  it('steps aside for other shapes: clipping, two writes, a line wider than the output', async () => {
    const Output = await inkOutput();
    const a = new Output({ width: 10, height: 3 });
    a.write(0, 0, 'hello', { transformers: [] });
    a.write(0, 1, 'world', { transformers: [] });
    expect(fastFrame(a as never)).toBeUndefined();
    const b = new Output({ width: 4, height: 3 });
    b.write(0, 0, 'too wide', { transformers: [] });
    expect(fastFrame(b as never)).toBeUndefined();
    const c = new Output({ width: 10, height: 3 });
    c.clip({ x1: 0, x2: 5 });
    c.write(0, 0, 'hi', { transformers: [] });
    expect(fastFrame(c as never)).toBeUndefined();
    const before = b.get().output;
    expect(await installFastOutput()).toBe(true);
    // installed, Ink's own path still answers for them
    expect(b.get().output).toBe(before);
  });
});
