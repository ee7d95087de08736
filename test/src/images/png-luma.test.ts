import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { pngLumaHistogram } from '../../../src/images/png-luma.js';
import { histogramEntropy, luminanceEntropy } from '../../../src/images/entropy.js';
import { chunk } from '../../../fixtures/png-writer.mjs';
import { ROOT } from '../../helpers/gen.js';

/** A w×h RGBA bitmap with edges, gradients and noise, so every PNG filter has work to do. */
function bitmap(w: number, h: number): Buffer {
  const d = Buffer.alloc(w * h * 4);
  let seed = 12345;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      seed = (seed * 1103515245 + 12345) >>> 0;
      d[o] = (x * 7 + y) & 255;
      d[o + 1] = x < w / 2 ? y * 3 : seed >>> 24;
      d[o + 2] = (x ^ y) & 255;
      d[o + 3] = 128 + ((x + y) & 127);
    }
  return d;
}

/** The filter byte of every row (to know which filters a test exercised). */
function rowFilters(buf: Buffer): Set<number> {
  const w = buf.readUInt32BE(16);
  const h = buf.readUInt32BE(20);
  const stride = w * ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[buf[25]];
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length; off += 12 + buf.readUInt32BE(off))
    if (buf.toString('latin1', off + 4, off + 8) === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + buf.readUInt32BE(off)));
  const raw = inflateSync(Buffer.concat(idat));
  return new Set(Array.from({ length: h }, (_, y) => raw[y * (stride + 1)]));
}

/** The reference: pngjs's full decode, then the same luminance entropy. */
function viaPngjs(buf: Buffer): number {
  const p = PNG.sync.read(buf);
  return luminanceEntropy(p.data, p.width * p.height, 4);
}

function viaFast(buf: Buffer): number | null {
  const h = pngLumaHistogram(buf, 40e6);
  return h && histogramEntropy(h.hist, h.pixels);
}

describe('png-luma: the luminance histogram from the inflated rows', () => {
  it('agrees with pngjs exactly for grey, grey+alpha, RGB and RGBA under each row filter and the adaptive choice', () => {
    const src = bitmap(37, 23); // odd sizes: rows do not line up with anything
    for (const colorType of [0, 4, 2, 6] as const)
      for (const filterType of [0, 1, 2, 3, 4, -1]) {
        const png = new PNG({ width: 37, height: 23, colorType, inputColorType: 6, inputHasAlpha: true, filterType } as never);
        src.copy(png.data);
        const buf = PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true, filterType } as never);
        if (filterType >= 0) expect(rowFilters(buf)).toEqual(new Set([filterType])); // the filter really used
        const fast = viaFast(buf);
        expect(fast, `colour type ${colorType}, filter ${filterType}`).not.toBeNull();
        expect(fast).toBe(viaPngjs(buf));
      }
  });

  it("agrees on Pillow's files (zlib from libpng's encoder, A1111/Forge and ComfyUI-shaped)", () => {
    for (const f of [
      'a1111-forge_sdxl_parameters.png',
      'comfyui_zimage-turbo_prompt.png',
      'forge-neo_zimage_parameters_unicode-itxt.png',
      'plain_no-metadata.png',
    ]) {
      const buf = readFileSync(join(ROOT, 'fixtures/images', f));
      expect(viaFast(buf), f).toBe(viaPngjs(buf));
    }
  });

  it('leaves palette, 16-bit and interlaced PNGs to pngjs (null), and refuses more pixels than allowed', () => {
    const src = bitmap(8, 8);
    const pal = new PNG({ width: 8, height: 8, colorType: 2, bitDepth: 16 } as never);
    src.copy(pal.data);
    const b16 = PNG.sync.write(pal, { colorType: 2, bitDepth: 16 } as never);
    expect(b16[24]).toBe(16);
    expect(pngLumaHistogram(b16, 40e6)).toBeNull();
    const ok = PNG.sync.write(Object.assign(new PNG({ width: 8, height: 8 }), { data: src }));
    const interlaced = Buffer.from(ok);
    interlaced[28] = 1;
    expect(pngLumaHistogram(interlaced, 40e6)).toBeNull();
    const palette = Buffer.from(ok);
    palette[25] = 3;
    expect(pngLumaHistogram(palette, 40e6)).toBeNull();
    expect(pngLumaHistogram(ok, 63)).toBeNull();
    expect(pngLumaHistogram(ok, 64)).not.toBeNull();
  });

  it('hostile data: short image data, a bad row filter and a deflate bomb throw; nothing inflates past the image size', () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(64, 0);
    ihdr.writeUInt32BE(64, 4);
    ihdr[8] = 8;
    ihdr[9] = 0; // grey
    const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const file = (raw: Buffer) => Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
    const good = Buffer.alloc(65 * 64);
    expect(pngLumaHistogram(file(good), 40e6)!.hist[0]).toBe(64 * 64);
    expect(() => pngLumaHistogram(file(good.subarray(0, 65 * 10)), 40e6)).toThrow(/ends early/);
    const badFilter = Buffer.from(good);
    badFilter[65 * 3] = 9;
    expect(() => pngLumaHistogram(file(badFilter), 40e6)).toThrow(/row filter 9/);
    // 64 MB of zeros claiming to be a 64×64 image: inflation stops at the image's 4160 bytes
    expect(() => pngLumaHistogram(file(Buffer.alloc(64 << 20)), 40e6)).toThrow(/larger than|buffer|maxOutputLength|Cannot create a Buffer/i);
    const cut = file(good);
    expect(() => pngLumaHistogram(cut.subarray(0, cut.length - 30), 40e6)).toThrow(/past the end/);
  });
});
