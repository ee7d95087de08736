import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { BLANK_ENTROPY_BITS, luminanceEntropy } from '../../../src/images/entropy.js';
import type { EntropyPool as Pool } from '../../../src/images/entropy-pool.js';
import { ROOT, tempDir } from '../../helpers/gen.js';
import { pngFile } from '../../../fixtures/png-writer.mjs';

const IMAGES = join(ROOT, 'fixtures/images');
// The pool starts its worker from the compiled file beside it, so it is tested as built (test/global-setup.ts builds dist/ before any test).
const { EntropyPool } = (await import(join(ROOT, 'dist/src/images/entropy-pool.js'))) as { EntropyPool: typeof Pool };

describe('luminance entropy (pure)', () => {
  it('0 for uniform, 1 for two equal halves, 8 for every grey level once; RGB weighted as Rec. 601', () => {
    expect(luminanceEntropy(new Uint8Array(400).fill(7), 100, 4)).toBe(0);
    const halves = new Uint8Array(8 * 4);
    halves.fill(255, 16);
    expect(luminanceEntropy(halves, 8, 4)).toBeCloseTo(1, 12);
    const ramp = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(luminanceEntropy(ramp, 256, 1)).toBeCloseTo(8, 12);
    // pure red and pure blue are different greys (76 and 29), so two levels, 1 bit
    expect(luminanceEntropy(Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]), 2, 4)).toBeCloseTo(1, 12);
    expect(luminanceEntropy(new Uint8Array(0), 0, 4)).toBe(0);
  });
});

describe('the decoder worker (real PNG and JPEG files, hostile ones)', () => {
  const pool = new EntropyPool(5000);
  afterAll(() => pool.close());
  const dir = tempDir('gw-entropy-');

  it('a generated image is far above the blank threshold, a black one is 0; Pillow/libjpeg files decode', async () => {
    writeFileSync(join(dir, 'ok.png'), pngFile(128, 128, [], 3));
    writeFileSync(join(dir, 'black.png'), pngFile(128, 128, [], 3, true));
    const ok = await pool.entropy(join(dir, 'ok.png'));
    expect(ok.bits).toBeGreaterThan(4 * BLANK_ENTROPY_BITS);
    expect(await pool.entropy(join(dir, 'black.png'))).toEqual({ bits: 0 });
    // Written by Pillow (fixtures/images/make-images.py): a real zlib PNG and a real libjpeg JPEG.
    for (const f of ['a1111-forge_sdxl_parameters.png', 'a1111-forge_sdxl_usercomment.jpg', 'comfyui_zimage-turbo_prompt.png']) {
      const a = await pool.entropy(join(IMAGES, f));
      expect(a.bits, `${f}: ${a.note}`).toBeGreaterThan(BLANK_ENTROPY_BITS);
    }
    // A JPEG of one flat grey is blank too (jpeg-js's own encoder, quality 90).
    const grey = { data: Buffer.alloc(64 * 64 * 4, 128), width: 64, height: 64 };
    writeFileSync(join(dir, 'grey.jpg'), jpeg.encode(grey, 90).data);
    expect((await pool.entropy(join(dir, 'grey.jpg'))).bits).toBeLessThan(BLANK_ENTROPY_BITS);
  });

  it('truncated, mislabelled, oversized, linked or FIFO files give unknown entropy with a reason, never a number', async () => {
    const png = pngFile(128, 128, [], 5) as Buffer;
    writeFileSync(join(dir, 'cut.png'), png.subarray(0, png.length - 40));
    const cut = await pool.entropy(join(dir, 'cut.png'));
    expect(cut.bits).toBeNull();
    expect(cut.note).toMatch(/undecodable/);
    writeFileSync(join(dir, 'text.png'), 'not an image at all');
    expect(await pool.entropy(join(dir, 'text.png'))).toEqual({ bits: null, note: expect.stringMatching(/no decoder for this format/) });
    // A header claiming 100000×100000 pixels: refused before any pixel is inflated.
    const huge = Buffer.from(png);
    huge.writeUInt32BE(100000, 16);
    huge.writeUInt32BE(100000, 20);
    writeFileSync(join(dir, 'huge.png'), huge);
    expect((await pool.entropy(join(dir, 'huge.png'))).note).toMatch(/100000x100000: more pixels than genwatt decodes/);
    symlinkSync(join(dir, 'black.png'), join(dir, 'link.png'));
    expect((await pool.entropy(join(dir, 'link.png'))).bits).toBeNull();
    execFileSync('mkfifo', [join(dir, 'fifo.png')]);
    expect((await pool.entropy(join(dir, 'fifo.png'))).bits).toBeNull(); // answered, not hung on the FIFO
    expect((await pool.entropy(join(dir, 'missing.png'))).bits).toBeNull();
    expect((await pool.entropy(join(dir, 'ok.png'))).bits).toBeGreaterThan(BLANK_ENTROPY_BITS); // still serving
  });

  it('an answer later than the time limit is unknown and the worker is replaced; a closed pool answers at once', async () => {
    // 1 ms cannot cover starting a worker thread, so the limit is what answers.
    const slow = new EntropyPool(1);
    writeFileSync(join(dir, 'big.png'), pngFile(1024, 1024, [], 9));
    const a = await slow.entropy(join(dir, 'big.png'));
    expect(a).toEqual({ bits: null, note: 'not decoded within 1 ms' });
    await slow.close();
    expect(await slow.entropy(join(dir, 'big.png'))).toEqual({ bits: null, note: 'decoder closed' });
  });
});
