/**
 * The luminance histogram of the PNGs generators write — 8-bit greyscale, grey+alpha, RGB or RGBA,
 * not interlaced (what PIL, diffusers, A1111/Forge and ComfyUI save) — straight from the inflated
 * rows: native zlib, then each row unfiltered in place against the one above. pngjs builds a whole
 * RGBA bitmap in JavaScript first, 4–5× the CPU on a 1024² image (`npm run bench entropy`); every
 * other PNG (palette, 16-bit, interlaced) still goes through pngjs.
 */
import { inflateSync } from 'node:zlib';

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** 256 luminance counts, or null when this PNG is not one the fast path reads (use pngjs). */
export function pngLumaHistogram(buf: Buffer, maxPixels: number): { hist: Uint32Array; pixels: number } | null {
  if (buf.length < 33 || buf.readUInt32BE(8) !== 13 || buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  const w = buf.readUInt32BE(16);
  const h = buf.readUInt32BE(20);
  const depth = buf[24];
  const channels = CHANNELS[buf[25]];
  if (depth !== 8 || channels === undefined || buf[28] !== 0 || w === 0 || h === 0 || w * h > maxPixels) return null;
  const stride = w * channels;
  const expected = (stride + 1) * h;
  // maxOutputLength bounds the inflate: a crafted stream cannot expand past the image's own size.
  const raw = inflateSync(pngImageData(buf), { maxOutputLength: expected });
  if (raw.length < expected) throw new Error('PNG image data ends early');
  const hist = new Uint32Array(256);
  let prev = -1; // offset of the previous row's first byte; -1 = none (a row of zeros)
  for (let y = 0, row = 0; y < h; y++, row += stride + 1) {
    const f = raw[row];
    const cur = row + 1;
    if (f === 4 && prev >= 0 && channels >= 3) paethLumaRow(raw, cur, prev, w, channels, hist);
    else {
      unfilter(raw, f, cur, prev, stride, channels);
      histogramRow(raw, cur, w, channels, hist);
    }
    prev = cur;
  }
  return { hist, pixels: w * h };
}

/** A PNG's compressed image data: its IDAT chunks joined (throws on a chunk that runs past the end). */
export function pngImageData(buf: Buffer): Buffer {
  const idat: Buffer[] = [];
  for (let off = 8; off + 12 <= buf.length;) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) throw new Error('PNG chunk runs past the end of the file');
    if (type === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    if (type === 'IEND') break;
    off += 12 + len;
  }
  return Buffer.concat(idat);
}

function unfilter(b: Uint8Array, filter: number, cur: number, prev: number, stride: number, bpp: number): void {
  // Sums wrap mod 256 by themselves: a Uint8Array store keeps the low 8 bits.
  // The first row's "row above" is zeros: Up is None, Average halves the left byte, Paeth is Sub.
  if (prev < 0) {
    if (filter === 2) filter = 0;
    else if (filter === 4) filter = 1;
    else if (filter === 3) {
      for (let i = bpp; i < stride; i++) b[cur + i] = b[cur + i] + (b[cur + i - bpp] >> 1);
      return;
    }
  }
  switch (filter) {
    case 0:
      return;
    case 1: // Sub
      for (let i = bpp; i < stride; i++) b[cur + i] = b[cur + i] + b[cur + i - bpp];
      return;
    case 2: // Up
      for (let i = 0; i < stride; i++) b[cur + i] = b[cur + i] + b[prev + i];
      return;
    case 3: // Average
      for (let i = 0; i < bpp; i++) b[cur + i] = b[cur + i] + (b[prev + i] >> 1);
      for (let i = bpp; i < stride; i++) b[cur + i] = b[cur + i] + ((b[cur + i - bpp] + b[prev + i]) >> 1);
      return;
    case 4: // Paeth (grey and grey+alpha rows; RGB and RGBA go through paethLumaRow)
      for (let i = 0; i < bpp; i++) b[cur + i] = b[cur + i] + b[prev + i];
      for (let i = bpp; i < stride; i++) b[cur + i] = b[cur + i] + paeth(b[cur + i - bpp], b[prev + i], b[prev + i - bpp]);
      return;
    default:
      throw new Error(`PNG row filter ${filter} is not one of 0–4`);
  }
}

/** Paeth's choice without branches: a generated image's noise makes it unpredictable (3.5× faster). */
function paeth(a: number, up: number, c: number): number {
  let pa = up - c;
  let pb = a - c;
  let pc = pa + pb;
  pa = (pa ^ (pa >> 31)) - (pa >> 31);
  pb = (pb ^ (pb >> 31)) - (pb >> 31);
  pc = (pc ^ (pc >> 31)) - (pc >> 31);
  const pickA = ~(((pb - pa) | (pc - pa)) >> 31); // -1 when pa <= pb and pa <= pc
  const pickUp = ~((pc - pb) >> 31); // -1 when pb <= pc
  return (a & pickA) | (((up & pickUp) | (c & ~pickUp)) & ~pickA);
}

/**
 * A Paeth row of RGB or RGBA unfiltered and counted in one pass, the left and upper-left pixels kept
 * in locals: the rows PIL writes for generated images are nearly all Paeth (bench/gpu/decode-time.mjs
 * counts them), and this takes a third off their rows' time against unfilter + histogramRow.
 */
function paethLumaRow(b: Uint8Array, cur: number, prev: number, w: number, channels: number, hist: Uint32Array): void {
  const t = lumaTable();
  let ar = 0,
    ag = 0,
    ab = 0,
    cr = 0,
    cg = 0,
    cb = 0;
  if (channels === 3) {
    // RGB apart from RGBA: one loop shape each keeps V8's code for the common case tight
    for (let o = cur, u = prev, end = cur + w * 3; o < end; o += 3, u += 3) {
      const ur = b[u],
        ug = b[u + 1],
        ub = b[u + 2];
      const r = (b[o] + paeth(ar, ur, cr)) & 255;
      const g = (b[o + 1] + paeth(ag, ug, cg)) & 255;
      const bl = (b[o + 2] + paeth(ab, ub, cb)) & 255;
      b[o] = r;
      b[o + 1] = g;
      b[o + 2] = bl;
      hist[t[r * 299 + g * 587 + bl * 114]]++;
      ar = r;
      ag = g;
      ab = bl;
      cr = ur;
      cg = ug;
      cb = ub;
    }
    return;
  }
  let aa = 0,
    ca = 0;
  for (let o = cur, u = prev, end = cur + w * 4; o < end; o += 4, u += 4) {
    const ur = b[u],
      ug = b[u + 1],
      ub = b[u + 2],
      ua = b[u + 3];
    const r = (b[o] + paeth(ar, ur, cr)) & 255;
    const g = (b[o + 1] + paeth(ag, ug, cg)) & 255;
    const bl = (b[o + 2] + paeth(ab, ub, cb)) & 255;
    aa = (b[o + 3] + paeth(aa, ua, ca)) & 255;
    b[o] = r;
    b[o + 1] = g;
    b[o + 2] = bl;
    b[o + 3] = aa;
    hist[t[r * 299 + g * 587 + bl * 114]]++;
    ar = r;
    ag = g;
    ab = bl;
    cr = ur;
    cg = ug;
    cb = ub;
    ca = ua;
  }
}

/** Rec. 601 luminance of 299r + 587g + 114b, rounded as luminanceEntropy rounds it: a table, not a division per pixel. */
let LUMA: Uint8Array | undefined;
function lumaTable(): Uint8Array {
  if (!LUMA) {
    LUMA = new Uint8Array(255 * 1000 + 1);
    for (let s = 0; s < LUMA.length; s++) LUMA[s] = ((s + 500) / 1000) | 0;
  }
  return LUMA;
}

function histogramRow(b: Uint8Array, at: number, w: number, channels: number, hist: Uint32Array): void {
  if (channels <= 2) {
    for (let x = 0, o = at; x < w; x++, o += channels) hist[b[o]]++;
    return;
  }
  const t = lumaTable();
  for (let x = 0, o = at; x < w; x++, o += channels) hist[t[b[o] * 299 + b[o + 1] * 587 + b[o + 2] * 114]]++;
}
