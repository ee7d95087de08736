/**
 * Embedded settings, read from images made with the encoders the generators use (PIL PngInfo for
 * A1111/Forge `parameters` and ComfyUI `prompt`, piexif UserComment for JPEG/WebP; see
 * fixtures/images/make-images.py). stable-diffusion.cpp writes the same `parameters` text (through
 * stb_image_write); no sd.cpp image is in fixtures, so its line is tested as text only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageMetaFromBuffer, parseComfyPrompt, parseParameters, readImageMeta } from '../../../src/images/image-meta.js';
import { ROOT, tempDir } from '../../helpers/gen.js';

const IMG = join(ROOT, 'fixtures/images');
const SDXL = {
  source: 'parameters',
  steps: 20,
  sampler: 'DPM++ 2M',
  scheduler: 'Karras',
  cfgScale: 7,
  seed: 1234567890,
  model: 'sd_xl_base_1.0',
  width: 1024,
  height: 1024,
};

describe('image metadata', () => {
  it.each(['a1111-forge_sdxl_parameters.png', 'a1111-forge_sdxl_usercomment.jpg', 'a1111-forge_sdxl_usercomment.webp'])(
    'A1111/Forge settings from %s',
    async (f) => {
      const r = await readImageMeta(join(IMG, f));
      expect(r.note).toBeUndefined();
      expect(r.meta).toEqual(SDXL);
    },
  );

  it('iTXt (non-Latin-1 prompt, as PIL writes it): Forge Neo, Z-Image Turbo', async () => {
    const r = await readImageMeta(join(IMG, 'forge-neo_zimage_parameters_unicode-itxt.png'));
    expect(r.meta).toEqual({
      source: 'parameters',
      steps: 8,
      sampler: 'Euler',
      scheduler: 'Simple',
      cfgScale: 1,
      seed: 42,
      model: 'z_image_turbo_bf16',
      width: 1024,
      height: 1024,
    });
  });

  it('ComfyUI prompt graph: the KSampler settings, the latent size, the UNet name', async () => {
    const r = await readImageMeta(join(IMG, 'comfyui_zimage-turbo_prompt.png'));
    expect(r.meta).toEqual({
      source: 'comfyui',
      steps: 8,
      sampler: 'res_multistep',
      scheduler: 'simple',
      cfgScale: 1,
      seed: 917431,
      model: 'z_image_turbo_bf16',
      width: 1024,
      height: 1024,
    });
  });

  it('Forge Neo AVIF: the infotext from the EXIF item of the HEIF meta box (iinf/iloc), the size from ispe', async () => {
    const r = await readImageMeta(join(IMG, 'forge-neo_zimage_usercomment.avif'));
    expect(r.note).toBeUndefined();
    expect(r.meta).toEqual({
      source: 'parameters',
      steps: 8,
      sampler: 'Euler',
      scheduler: 'Simple',
      cfgScale: 1,
      seed: 42,
      model: 'z_image_turbo_bf16',
      width: 1024,
      height: 1024,
    });
  });

  it('ComfyUI animated WebP (SaveAnimatedWEBP): the prompt graph from EXIF 0x0110 `prompt:{…}`', async () => {
    const r = await readImageMeta(join(IMG, 'comfyui_zimage-turbo_animated_exif-prompt.webp'));
    expect(r.note).toBeUndefined();
    expect(r.meta).toEqual({
      source: 'comfyui',
      steps: 8,
      sampler: 'res_multistep',
      scheduler: 'simple',
      cfgScale: 1,
      seed: 917431,
      model: 'z_image_turbo_bf16',
      width: 512,
      height: 512,
    });
  });

  it('a crafted AVIF (an iloc extent far past the end, a box larger than its file) is read no further and says so', async () => {
    const dir = tempDir();
    const good = readFileSync(join(IMG, 'forge-neo_zimage_usercomment.avif'));
    const huge = Buffer.from(good);
    huge.writeUInt32BE(0x7fffffff, 0x20); // the meta box claims 2 GB
    writeFileSync(join(dir, 'huge.avif'), huge);
    const r = await readImageMeta(join(dir, 'huge.avif'));
    expect(r.meta.seed).toBeUndefined();
    expect(r.note).toMatch(/truncated or corrupt box "meta"/);
    const far = Buffer.from(good);
    far.writeUInt32BE(0x7ffffff0, 0x80); // the EXIF extent's offset, out of the file
    writeFileSync(join(dir, 'far.avif'), far);
    const r2 = await readImageMeta(join(dir, 'far.avif'));
    expect(r2.meta.seed).toBeUndefined();
    expect(r2.meta.width).toBe(1024);
  });

  it('stable-diffusion.cpp parameters line (text only, no sd.cpp image captured)', () => {
    // the layout of sd.cpp's get_image_params(): prompt, settings with Guidance/Eta/RNG
    const text =
      'a cat\nSteps: 20, CFG scale: 7, Guidance: 3.5, Eta: 0, Seed: 42, Size: 512x768, Model: sd_xl_turbo_1.0_fp16, RNG: cuda, Sampler: euler_a, Version: stable-diffusion.cpp';
    expect(parseParameters(text)).toEqual({
      source: 'parameters',
      steps: 20,
      cfgScale: 7,
      seed: 42,
      model: 'sd_xl_turbo_1.0_fp16',
      sampler: 'euler_a',
      width: 512,
      height: 768,
    });
  });

  it('a seed past 2^53 (ComfyUI allows up to 2^64) is left out rather than recorded with wrong digits', () => {
    // JSON.parse already turns 18446744073709551615 into 18446744073709552000
    const graph = (seed: string) => `{"3":{"class_type":"KSampler","inputs":{"seed":${seed},"steps":8,"cfg":1,"sampler_name":"euler","scheduler":"simple"}}}`;
    expect(parseComfyPrompt(graph('18446744073709551615')).seed).toBeUndefined();
    expect(parseComfyPrompt(graph('9007199254740991')).seed).toBe(9007199254740991);
    expect(parseParameters('a cat\nSteps: 20, Seed: 18446744073709551615, Size: 512x512').seed).toBeUndefined();
  });

  it('no metadata: only the pixel size, no note', async () => {
    expect(await readImageMeta(join(IMG, 'plain_no-metadata.png'))).toEqual({ meta: { width: 64, height: 48 } });
  });

  it.each(['a1111-forge_sdxl_parameters.png', 'comfyui_zimage-turbo_prompt.png', 'a1111-forge_sdxl_usercomment.jpg', 'a1111-forge_sdxl_usercomment.webp'])(
    'truncated %s: never throws; a note says why, what was read before the cut stays',
    (f) => {
      const full = readFileSync(join(IMG, f));
      const whole = imageMetaFromBuffer(full).meta;
      for (const frac of [0.01, 0.1, 0.3, 0.6, 0.95]) {
        const r = imageMetaFromBuffer(full.subarray(0, Math.floor(full.length * frac)));
        // what was read is what the whole file says, never a misread of the cut
        expect(whole, `${f} cut at ${frac}`).toMatchObject(r.meta);
        if (f.endsWith('.png') && frac >= 0.1) expect(r.meta.width).toBe(1024); // IHDR comes first
        // the settings stand before the pixels in these PNG and JPEG files (WebP's EXIF is at its end)
        if (!f.endsWith('.webp') && frac >= 0.3) expect(r.meta, `${f} cut at ${frac}`).toEqual(whole);
      }
      const cut = imageMetaFromBuffer(full.subarray(0, Math.floor(full.length / 2)));
      expect(cut.note).toMatch(/truncated|corrupt/);
    },
  );

  it('a corrupt ComfyUI prompt: a note, the image size still read', () => {
    const full = readFileSync(join(IMG, 'comfyui_zimage-turbo_prompt.png'));
    const bad = Buffer.from(full);
    const at = bad.indexOf('{"9"');
    bad.write('}}}}', at, 'latin1'); // same length: the chunk stays well-formed, its JSON does not
    const r = imageMetaFromBuffer(bad);
    expect(r.note).toMatch(/unreadable ComfyUI prompt/);
    expect(r.meta).toEqual({ width: 1024, height: 1024 });
  });

  it('an unreadable file is a note, not a throw', async () => {
    const r = await readImageMeta(join(tempDir(), 'missing.png'));
    expect(r.note).toMatch(/cannot read .*ENOENT/);
    const f = join(tempDir(), 'x.bmp');
    writeFileSync(f, 'BM....');
    expect((await readImageMeta(f)).note).toMatch(/no metadata reader/);
  });
});
