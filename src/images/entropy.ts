/**
 * How much an image says, as the Shannon entropy of its luminance histogram in bits per pixel (pure):
 * 0 for a black or uniform image (an fp16 VAE overflowing to NaN writes black), up to 8. Generated
 * images land far above the blank threshold (the demo's ~5, SDXL outputs ~7).
 */

/** Below this many bits per pixel an image is `blank` (uniform or nearly: a black NaN frame, a flat grey). */
export const BLANK_ENTROPY_BITS = 1;

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
