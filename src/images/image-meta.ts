/**
 * What an image is, from the settings its generator embedded: PNG tEXt / zTXt / iTXt chunks (A1111,
 * Forge and stable-diffusion.cpp `parameters`; ComfyUI `prompt`, the API graph), EXIF UserComment in
 * JPEG and WebP (A1111/Forge) and EXIF Model in WebP (ComfyUI's `prompt:{…}`). The pixel size comes
 * from the image header itself. Anyone can write into a watched folder: every chunk is bounded (a
 * compressed chunk inflates to at most {@link MAX_TEXT_BYTES}, else it is skipped with a note), and a
 * corrupt or truncated file gives what could be read and a note; it never throws.
 */
import { inflateSync } from 'node:zlib';
import { readImageHead } from './image-file.js';
import { parseComfyPrompt, parseParameters, type ImageMeta } from './image-settings.js';

export { parseComfyPrompt, parseParameters, parseParameterPairs, type ImageMeta } from './image-settings.js';

export interface MetaResult {
  meta: ImageMeta;
  /** Why something could not be read (truncated, corrupt metadata). */
  note?: string;
}

/** Largest text a metadata chunk may hold once decompressed (a bomb stops here, at no more cost). */
export const MAX_TEXT_BYTES = 1 << 20;

/** PNG text keywords genwatt reads; other chunks (ComfyUI's `workflow`, thumbnails) are not inflated. */
const WANTED = new Set(['parameters', 'prompt']);

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Inflates with an output cap; null when the text would be larger. */
function inflateCapped(data: Buffer): Buffer | null {
  try {
    return inflateSync(data, { maxOutputLength: MAX_TEXT_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return null;
    throw err;
  }
}

/** PNG text chunks (keyword → text). Stops at a truncated or corrupt chunk and says so. */
export function pngText(buf: Buffer): { texts: Map<string, string>; width?: number; height?: number; note?: string } {
  const texts = new Map<string, string>();
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIG)) return { texts, note: 'not a PNG file' };
  let off = 8;
  let width: number | undefined;
  let height: number | undefined;
  const skipped: string[] = [];
  const done = (note?: string) => {
    const notes = [...skipped, ...(note ? [note] : [])];
    return { texts, width, height, ...(notes.length ? { note: notes.join('; ') } : {}) };
  };
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) return done(`truncated PNG (chunk ${JSON.stringify(type)} runs past the end)`);
    const data = buf.subarray(off + 8, off + 8 + len);
    try {
      if (type === 'IHDR' && len >= 8) {
        width = data.readUInt32BE(0);
        height = data.readUInt32BE(4);
      } else if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') {
        const z = data.indexOf(0);
        const key = z > 0 ? data.toString('latin1', 0, Math.min(z, 79)) : '';
        if (WANTED.has(key)) {
          const t = chunkText(type, data, z);
          if (t === null) skipped.push(`${type} chunk "${key}" inflates past ${MAX_TEXT_BYTES / 1048576} MiB: skipped`);
          else if (t !== undefined) texts.set(key, t);
        }
      } else if (type === 'IEND') return done();
    } catch {
      return done(`corrupt ${type} chunk`);
    }
    off += 12 + len;
  }
  return done('truncated PNG (no IEND chunk)');
}

/** A text chunk's text; null when it would inflate past the cap. */
function chunkText(type: string, data: Buffer, z: number): string | null | undefined {
  if (type === 'tEXt') return data.toString('latin1', z + 1, Math.min(data.length, z + 1 + MAX_TEXT_BYTES));
  if (type === 'zTXt') return inflateCapped(data.subarray(z + 2))?.toString('latin1') ?? null;
  const compressed = data[z + 1] === 1;
  const lang = data.indexOf(0, z + 3);
  const trans = lang >= 0 ? data.indexOf(0, lang + 1) : -1;
  if (trans < 0) return undefined;
  const body = data.subarray(trans + 1);
  if (!compressed) return body.toString('utf8', 0, Math.min(body.length, MAX_TEXT_BYTES));
  return inflateCapped(body)?.toString('utf8') ?? null;
}

/** EXIF text fields from a TIFF block (the EXIF payload): UserComment, and IFD0's Make and Model. */
export function exifTexts(tiff: Buffer): { userComment?: string; model?: string; make?: string } {
  if (tiff.length < 8) return {};
  const le = tiff.toString('latin1', 0, 2) === 'II';
  if (!le && tiff.toString('latin1', 0, 2) !== 'MM') return {};
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const entries = (ifd: number) => {
    const out: { tag: number; type: number; count: number; valueOff: number }[] = [];
    if (ifd + 2 > tiff.length) return out;
    const n = Math.min(u16(ifd), 512);
    for (let i = 0; i < n && ifd + 2 + i * 12 + 12 <= tiff.length; i++) {
      const e = ifd + 2 + i * 12;
      out.push({ tag: u16(e), type: u16(e + 2), count: u32(e + 4), valueOff: e + 8 });
    }
    return out;
  };
  const raw = (e: { count: number; valueOff: number }) => {
    const at = e.count > 4 ? u32(e.valueOff) : e.valueOff;
    return at + e.count > tiff.length ? undefined : tiff.subarray(at, at + Math.min(e.count, MAX_TEXT_BYTES));
  };
  const ascii = (e: { count: number; valueOff: number } | undefined) => (e ? raw(e)?.toString('utf8').replace(/\0+$/, '') : undefined);
  const ifd0 = entries(u32(4));
  const out: { userComment?: string; model?: string; make?: string } = {};
  const model = ascii(ifd0.find((e) => e.tag === 0x0110));
  const make = ascii(ifd0.find((e) => e.tag === 0x010f));
  if (model) out.model = model;
  if (make) out.make = make;
  const exifPtr = ifd0.find((e) => e.tag === 0x8769);
  const uc = exifPtr ? entries(u32(exifPtr.valueOff)).find((e) => e.tag === 0x9286) : undefined;
  const bytes = uc && uc.count >= 8 ? raw(uc) : undefined;
  if (bytes) {
    const code = bytes.toString('latin1', 0, 8);
    const body = bytes.subarray(8);
    if (code.startsWith('UNICODE')) {
      // piexif writes UTF-16 big-endian whatever the TIFF order; take the order that gives text.
      const be = decodeUtf16(body, false);
      const lef = decodeUtf16(body, true);
      out.userComment = printableCount(be) >= printableCount(lef) ? be : lef;
    } else out.userComment = body.toString(code.startsWith('ASCII') ? 'latin1' : 'utf8').replace(/\0+$/, '');
  }
  return out;
}

/** EXIF UserComment from a TIFF block. */
export function exifUserComment(tiff: Buffer): string | undefined {
  return exifTexts(tiff).userComment;
}

function decodeUtf16(b: Buffer, little: boolean): string {
  const even = b.subarray(0, b.length - (b.length % 2));
  const copy = Buffer.from(even);
  if (!little) copy.swap16();
  return copy.toString('utf16le').replace(/\0+$/, '');
}

function printableCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c <= 0x7e) || c === 10) n++;
  }
  return n;
}

type ContainerInfo = { tiff?: Buffer; width?: number; height?: number; note?: string };

/** JPEG: the APP1 Exif block and the frame size. */
export function jpegInfo(buf: Buffer): ContainerInfo {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return { note: 'not a JPEG file' };
  let off = 2;
  const out: ContainerInfo = {};
  while (off + 4 <= buf.length) {
    if (buf[off] !== 0xff) return { ...out, note: 'corrupt JPEG (lost marker sync)' };
    const marker = buf[off + 1];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      off += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end, or the image data starts
    const len = buf.readUInt16BE(off + 2);
    if (off + 2 + len > buf.length) return { ...out, note: 'truncated JPEG' };
    const seg = buf.subarray(off + 4, off + 2 + len);
    if (marker === 0xe1 && seg.toString('latin1', 0, 6) === 'Exif\0\0') out.tiff = seg.subarray(6);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc && seg.length >= 5) {
      out.height = seg.readUInt16BE(1);
      out.width = seg.readUInt16BE(3);
    }
    off += 2 + len;
  }
  if (!(buf.length >= 2 && buf[buf.length - 2] === 0xff && buf[buf.length - 1] === 0xd9)) out.note ??= 'truncated JPEG (no end marker)';
  return out;
}

/** WebP: the EXIF chunk and the canvas size. */
export function webpInfo(buf: Buffer): ContainerInfo {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') return { note: 'not a WebP file' };
  const out: ContainerInfo = {};
  let off = 12;
  while (off + 8 <= buf.length) {
    const type = buf.toString('latin1', off, off + 4);
    const len = buf.readUInt32LE(off + 4);
    if (off + 8 + len > buf.length) return { ...out, note: `truncated WebP (chunk ${JSON.stringify(type)})` };
    const d = buf.subarray(off + 8, off + 8 + len);
    if (type === 'EXIF') out.tiff = d.toString('latin1', 0, 6) === 'Exif\0\0' ? d.subarray(6) : d;
    else if (type === 'VP8X' && len >= 10) {
      out.width = 1 + d.readUIntLE(4, 3);
      out.height = 1 + d.readUIntLE(7, 3);
    } else if (type === 'VP8 ' && len >= 10 && out.width === undefined) {
      out.width = d.readUInt16LE(6) & 0x3fff;
      out.height = d.readUInt16LE(8) & 0x3fff;
    } else if (type === 'VP8L' && len >= 5 && out.width === undefined) {
      const b = d.readUInt32LE(1);
      out.width = (b & 0x3fff) + 1;
      out.height = ((b >> 14) & 0x3fff) + 1;
    }
    off += 8 + len + (len % 2);
  }
  return out;
}

/** The settings text of a non-PNG container: A1111/Forge UserComment, else ComfyUI's `prompt:` Model. */
function exifSettings(tiff: Buffer): { kind: 'parameters' | 'comfyui'; value: string } | undefined {
  const t = exifTexts(tiff);
  if (t.userComment) return { kind: 'parameters', value: t.userComment };
  if (t.model?.startsWith('prompt:')) return { kind: 'comfyui', value: t.model.slice('prompt:'.length) };
  return undefined;
}

export function imageMetaFromBuffer(buf: Buffer, bmff?: ContainerInfo): MetaResult {
  const notes: string[] = [];
  let meta: ImageMeta = {};
  let text: { kind: 'parameters' | 'comfyui'; value: string } | undefined;
  let r: ContainerInfo;
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50) {
    const p = pngText(buf);
    r = p;
    const params = p.texts.get('parameters');
    const prompt = p.texts.get('prompt');
    if (params) text = { kind: 'parameters', value: params };
    else if (prompt) text = { kind: 'comfyui', value: prompt };
  } else {
    r =
      bmff ??
      (buf[0] === 0xff && buf[1] === 0xd8
        ? jpegInfo(buf)
        : buf.toString('latin1', 0, 4) === 'RIFF'
          ? webpInfo(buf)
          : { note: 'no metadata reader for this format' });
    try {
      text = r.tiff ? exifSettings(r.tiff) : undefined;
    } catch {
      notes.push('corrupt EXIF');
    }
  }
  if (r.note) notes.unshift(r.note);
  if (text) {
    try {
      meta = text.kind === 'parameters' ? parseParameters(text.value) : parseComfyPrompt(text.value);
    } catch (err) {
      notes.push(`unreadable ${text.kind === 'comfyui' ? 'ComfyUI prompt' : 'parameters'} (${(err as Error).message.slice(0, 80)})`);
    }
  }
  if (r.width && r.height) {
    meta.width = r.width;
    meta.height = r.height;
  }
  const out: MetaResult = { meta };
  if (notes.length) out.note = notes.join('; ');
  return out;
}

/** Reads an image's embedded settings and pixel size: only the bytes that hold them, bounded. Never throws. */
export async function readImageMeta(path: string): Promise<MetaResult> {
  const head = await readImageHead(path);
  if ('skip' in head) return { meta: {}, note: head.skip };
  const r = imageMetaFromBuffer(head.buf, head.bmff);
  if (head.note) r.note = r.note ? `${head.note}; ${r.note}` : head.note;
  return r;
}
