/**
 * Guarantee: image metadata is bounded. A PNG whose zTXt `parameters` chunk inflates to a gigabyte
 * (a real decompression bomb, made here with zlib) is counted like any image, its metadata skipped
 * with a note, at a bounded cost in memory and no sampling gap; a megabyte of `parameters` text
 * parses in one pass (A1111's backtracking pattern took 1.8 s for 40 000 characters on ffcd592).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParameterPairs, parseParameters } from '../../src/images/image-settings.js';
import { readImageMeta } from '../../src/images/image-meta.js';
import { readSession } from '../../src/session/reader.js';
import { bombPng } from '../../fixtures/png-writer.mjs';
import { CLI, GENERATOR, tempDir } from '../helpers/gen.js';
import { trackPeak } from '../helpers/proc.js';

/** The A1111 pattern genwatt used to parse with (backtracking: quadratic on a long line without colons). */
const A1111_PATTERN = /\s*(\w[\w \-/+]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;
function pairsByPattern(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(A1111_PATTERN.source, 'g');
  for (let m; (m = re.exec(line));) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    let v = m[2].trim();
    if (v.startsWith('"') && v.endsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    out.set(m[1].trim(), v);
  }
  return out;
}

describe('hostile image metadata', () => {
  it('parameters are parsed in one pass: the same pairs as the A1111 pattern, and a megabyte of text in well under a second', () => {
    const lines = [
      'Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 1024x1024, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: f2.0.1v1.10.1',
      'Steps: 8, Sampler: Euler, Lora hashes: "a: 1, b: 2", Size: 512x512, Empty: "", x y: z',
      'no pairs here at all, just commas, and words',
      'Steps:20,Seed:"quoted \\" esc",Weird key/+ -x: v , : lone colon, Size :  64x64',
    ];
    for (const l of lines) expect(parseParameterPairs(l)).toEqual(pairsByPattern(l));
    // A megabyte: a long prompt line, then a settings line of half a megabyte without colons.
    const hostile = `${'a'.repeat(500_000)}\nSteps: 20, ${'x '.repeat(250_000)}, Size: 64x64`;
    const t0 = performance.now();
    const meta = parseParameters(hostile);
    const ms = performance.now() - t0;
    expect(meta).toMatchObject({ steps: 20, width: 64, height: 64 });
    expect(ms).toBeLessThan(2000); // generous for a loaded machine; `npm run bench metaparse` measures it
    // Longer than the cap: only its end is read (where the settings line is), never all of it.
    expect(parseParameters(`${'b'.repeat(3 << 20)}\nSteps: 7, Size: 8x8`)).toMatchObject({ steps: 7, width: 8 });
  });

  it('a 1 GB zTXt bomb read directly: skipped with a note, the pixel size still read', async () => {
    const dir = tempDir('gw-bomb-');
    const f = join(dir, 'bomb.png');
    writeFileSync(f, await bombPng(1 << 30));
    const r = await readImageMeta(f);
    expect(r.meta).toEqual({ width: 64, height: 48 });
    expect(r.note).toMatch(/zTXt chunk "parameters" inflates past 1 MiB: skipped/);
  }, 60000);

  it('a bomb among real images in a measured run: every image counted, peak memory bounded, no sampling gap', async () => {
    const dir = tempDir('gw-bomb-run-');
    const out = join(dir, 'out');
    mkdirSync(out);
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, await bombPng(1 << 30));
    const rec = join(dir, 'r.json');
    // The demo generator writes 4 images; the bomb is dropped into the folder in the middle of them.
    const script = `const {spawnSync}=require('child_process');const fs=require('fs');
spawnSync(process.execPath,[${JSON.stringify(GENERATOR)},'--out',${JSON.stringify(out)},'--count','2','--seconds','0.3','--load-seconds','0.2'],{stdio:'inherit'});
fs.copyFileSync(${JSON.stringify(bomb)},${JSON.stringify(join(out, 'zz-bomb.png'))});
spawnSync(process.execPath,[${JSON.stringify(GENERATOR)},'--out',${JSON.stringify(join(out, 'more'))},'--count','2','--seconds','0.3','--load-seconds','0'],{stdio:'inherit'});`;
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--probe', 'simulated', '--interval', '50', '--idle', '0', '--plain', '--record', rec, '--out', out, '--', process.execPath, '-e', script],
      { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const peak = trackPeak(child.pid!, 20);
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const code = await new Promise((r) => child.on('exit', r));
    const peakMiB = peak.stop();
    expect(code, err).toBe(0);
    const doc = (await readSession(rec)).doc;
    expect(doc.rows.map((r) => r.path.split('/').pop())).toContain('zz-bomb.png');
    expect(doc.rows).toHaveLength(5);
    expect(doc.notes.map((n) => n.message).join('\n')).toMatch(/zz-bomb\.png: metadata skipped: .*inflates past 1 MiB/);
    expect(doc.gaps).toEqual([]);
    // ffcd592 inflated the whole chunk: 1 GiB of text (11.1 GB for the 3.6 MB bomb).
    expect(peakMiB).toBeLessThan(400);
    copyFileSync(bomb, join(dir, 'unused.png'));
  }, 90000);
});
