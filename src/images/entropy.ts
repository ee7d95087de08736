/**
 * How much an image says, as the Shannon entropy of its luminance histogram in bits per pixel (pure):
 * 0 for a black or uniform image (an fp16 VAE overflowing to NaN writes black), up to 8. Generated
 * images land far above the blank threshold (the demo's ~5, SDXL outputs ~7).
 */

/** Below this many bits per pixel an image is `blank` (uniform or nearly: a black NaN frame, a flat grey). */
export const BLANK_ENTROPY_BITS = 1;

/**
 * Above this many compressed bytes per pixel an image cannot be blank, and is not decoded. A
 * uniform or black PNG compresses to almost nothing (the demo's black 128² frame: 0.008 B/px; a flat
 * 1024² grey: under 0.01); an image whose luminance has under 1 bit of entropy per pixel, even as
 * uncorrelated noise, needs under 1 bit (0.125 B) per pixel of luminance and deflate rarely doubles
 * that; generated images take 1–3 B/px (SDXL 1024²: ~1.3; the demo's 128² noise: 2.8). 0.5 leaves a
 * factor of 4 for deflate's overhead. What it cannot see: colour noise of one constant luminance, which
 * no generator writes; `--entropy-all` decodes every image.
 */
export const BLANK_MAX_BYTES_PER_PIXEL = 0.5;

/** True when the file is too large for its pixel count to be a blank image (no decode needed). */
export function cannotBeBlank(fileBytes: number | undefined, width: number | undefined, height: number | undefined): boolean {
  if (fileBytes === undefined || !width || !height) return false;
  return fileBytes / (width * height) > BLANK_MAX_BYTES_PER_PIXEL;
}

/** Entropy of 8-bit luminance (Rec. 601 weights) over `pixels` pixels of `channels` bytes each. */
export function luminanceEntropy(data: Uint8Array, pixels: number, channels: number): number {
  const hist = new Uint32Array(256);
  const n = Math.min(pixels, Math.floor(data.length / channels));
  if (n <= 0) return 0;
  if (channels >= 3) {
    for (let i = 0, o = 0; i < n; i++, o += channels) hist[((data[o] * 299 + data[o + 1] * 587 + data[o + 2] * 114 + 500) / 1000) | 0]++;
  } else for (let i = 0, o = 0; i < n; i++, o += channels) hist[data[o]]++;
  return histogramEntropy(hist, n);
}

/** Shannon entropy, bits, of a histogram over `n` samples. */
export function histogramEntropy(hist: Uint32Array, n: number): number {
  if (n <= 0) return 0;
  let h = 0;
  for (const c of hist) {
    if (c === 0) continue;
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}
