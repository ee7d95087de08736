/**
 * A fast path for Ink's frame assembly (ink 6.8.0 build/output.js `Output.get`). Ink turns every
 * frame into a grid of one object per cell — tokenizing each line's ANSI codes, then joining the
 * grid back into strings — so a 160×40 frame cost ~8 ms of CPU and most of the dashboard's cost
 * (profiled: tokenize, styledCharsFromTokens, styledCharsToString and their garbage).
 *
 * The dashboard's frame is one text block written at the origin, each line already fitted to the
 * terminal's width by the pure layout (components/). For exactly that shape — a single write at
 * (0, 0), no clipping, every transformed line no wider than the output — the lines are the frame,
 * and the grid is skipped. Anything else (other components, clipping, a wide line) goes through
 * Ink's own code unchanged. test/src/dashboard/ink-fast-output.test.ts checks that both paths
 * print the same cells and styles on real frames.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { textWidth } from '../text/text-width.js';

/** SGR codes, the only escapes the dashboard's lines carry. */
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

interface WriteOp {
  type: 'write';
  x: number;
  y: number;
  text: string;
  transformers: ((line: string, index: number) => string)[];
}
type Op = WriteOp | { type: 'clip' | 'unclip' };
interface OutputLike {
  width: number;
  height: number;
  operations: Op[];
}
type Get = (this: OutputLike) => { output: string; height: number };

let installed: Promise<boolean> | undefined;

/** The frame of a single origin write whose lines all fit, or undefined to let Ink do it. */
export function fastFrame(o: OutputLike): { output: string; height: number } | undefined {
  if (o.operations.length !== 1) return undefined;
  const op = o.operations[0];
  if (op.type !== 'write' || op.x !== 0 || op.y !== 0) return undefined;
  const lines = op.text.split('\n');
  if (lines.length > o.height) return undefined;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    for (const t of op.transformers) line = t(line, i);
    // Ink would cut or wrap a line wider than the output: leave that to it (and any other escape).
    const plain = line.replace(SGR, '');
    if (plain.includes('\n') || plain.includes('\x1b') || textWidth(plain) > o.width) return undefined;
    out.push(line.trimEnd());
  }
  while (out.length < o.height) out.push('');
  return { output: out.join('\n'), height: o.height };
}

/** Installs the fast path on Ink's Output class (once); false when Ink's layout is not the one it knows. */
export function installFastOutput(): Promise<boolean> {
  installed ??= (async () => {
    try {
      const req = createRequire(import.meta.url);
      const inkDir = dirname(req.resolve('ink'));
      const { version } = req(join(inkDir, '..', 'package.json')) as { version: string };
      if (!/^6\./.test(version)) return false;
      const mod = (await import(pathToFileURL(join(inkDir, 'output.js')).href)) as { default: { prototype: { get: Get } } };
      const proto = mod.default.prototype;
      const original = proto.get;
      if (typeof original !== 'function') return false;
      proto.get = function (this: OutputLike) {
        return fastFrame(this) ?? original.call(this);
      };
      return true;
    } catch {
      return false;
    }
  })();
  return installed;
}
