/**
 * Opening files in a watched folder that anyone may write into: only regular files are read — a FIFO,
 * socket or device would tie up a libuv thread forever, a symlink could point anywhere. A file is
 * opened with O_NOFOLLOW | O_NONBLOCK and checked with fstat before a byte is read; then only the
 * bytes that hold an image's settings are read (PNG chunk headers are walked and pixel data skipped),
 * each bounded, so a crafted multi-gigabyte "image" costs a few small reads.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { exifPayloadTiff, heifFacts } from './bmff.js';

/** Most bytes read from one image for its settings. */
export const MAX_HEAD_BYTES = 8 << 20;
/** Largest metadata chunk read (a compressed chunk is capped again when inflated). */
export const MAX_CHUNK_BYTES = 4 << 20;
/** Most chunks walked in one PNG or WebP. */
const MAX_CHUNKS = 4096;

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** What a path is, when it is not a regular file. */
export function kindOf(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isDirectory(): boolean;
  isSymbolicLink?(): boolean;
}): string {
  if (st.isSymbolicLink?.()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * Opens a regular file for reading without following a symlink or blocking on a FIFO. Returns the
 * handle and its size, or why it was not opened.
 */
export async function openRegular(
  path: string,
): Promise<{ fh: FileHandle; size: number; mtimeMs: number; dev: number; ino: number } | { skip: string; code?: string }> {
  let fh: FileHandle;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { skip: `${path} is a symbolic link: not followed`, code };
    return { skip: `cannot read ${path}: ${code ?? (err as Error).message}`, code };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      return { skip: `${path} is ${kindOf(st)}: not read`, code: 'ENOTREG' };
    }
    return { fh, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
  } catch (err) {
    await fh.close().catch(() => undefined);
    return { skip: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}

/** Reads `len` bytes at `pos` (fewer at the end of the file). */
async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, len));
  const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
  return bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
}

interface Head {
  buf: Buffer;
  note?: string;
  /** HEIF/AVIF/JXL: what the box walk found (the container itself is not kept). */
  bmff?: { tiff?: Buffer; width?: number; height?: number; note?: string };
}

/** Top-level boxes walked in a HEIF/AVIF/JXL file (the header and the size of each, not the data). */
const MAX_TOP_BOXES = 64;

/**
 * HEIF / AVIF (`ftyp`) and the JPEG XL container (`JXL `): the top-level box headers are walked, the
 * `meta` box (HEIF) or `Exif` box (JXL) read, then the EXIF item's bytes — each bounded.
 */
async function bmffHead(fh: FileHandle, size: number): Promise<Head> {
  const sig = Buffer.from('GWBMFF'); // what imageMetaFromHead sees as the container: the facts are in `bmff`
  let off = 0;
  for (let n = 0; n < MAX_TOP_BOXES && off + 8 <= size; n++) {
    const h = await readAt(fh, off, 16);
    if (h.length < 8) break;
    let boxSize = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let header = 8;
    if (boxSize === 1 && h.length >= 16) {
      const big = h.readBigUInt64BE(8);
      boxSize = big > BigInt(size - off) ? -1 : Number(big);
      header = 16;
    } else if (boxSize === 0) boxSize = size - off;
    if (boxSize < header || off + boxSize > size) return { buf: sig, bmff: { note: `truncated or corrupt box ${JSON.stringify(type)}` } };
    const payloadLen = boxSize - header;
    if (type === 'meta' || type === 'Exif') {
      if (payloadLen > MAX_CHUNK_BYTES) return { buf: sig, bmff: { note: `${type} box of ${payloadLen} bytes: larger than genwatt reads; metadata skipped` } };
      const payload = await readAt(fh, off + header, payloadLen);
      if (type === 'Exif') return { buf: sig, bmff: { tiff: exifPayloadTiff(payload) } };
      const f = heifFacts(payload);
      const out: NonNullable<Head['bmff']> = { width: f.width, height: f.height, note: f.note };
      if (f.exif) {
        const total = f.exif.extents.reduce((a, e) => a + e.length, 0);
        if (total > MAX_CHUNK_BYTES) return { buf: sig, bmff: { ...out, note: `EXIF item of ${total} bytes: larger than genwatt reads; metadata skipped` } };
        const parts: Buffer[] = [];
        for (const e of f.exif.extents) {
          if (f.exif.inIdat) parts.push(f.idat && e.offset + e.length <= f.idat.length ? f.idat.subarray(e.offset, e.offset + e.length) : Buffer.alloc(0));
          else if (e.offset + e.length <= size) parts.push(await readAt(fh, e.offset, e.length));
        }
        out.tiff = exifPayloadTiff(Buffer.concat(parts));
      }
      return { buf: sig, bmff: out };
    }
    off += boxSize;
  }
  return { buf: sig, bmff: {} };
}

/** PNG: the signature, IHDR, the text chunks and IEND — pixel data is skipped, not read. */
async function pngHead(fh: FileHandle, size: number): Promise<Head> {
  const parts: Buffer[] = [await readAt(fh, 0, 8)];
  const notes: string[] = [];
  let off = 8;
  let total = 8;
  for (let n = 0; off + 8 <= size && n < MAX_CHUNKS; n++) {
    const h = await readAt(fh, off, 8);
    const len = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    const wanted = type === 'IHDR' || type === 'IEND' || type === 'tEXt' || type === 'zTXt' || type === 'iTXt';
    if (wanted) {
      // A chunk running past the end is kept as its header: the parser says the file is truncated.
      if (off + 12 + len > size) return { buf: Buffer.concat([...parts, h]) };
      if (len > MAX_CHUNK_BYTES || total + len > MAX_HEAD_BYTES) {
        notes.push(`PNG ${type} chunk of ${len} bytes: larger than genwatt reads (${MAX_CHUNK_BYTES >> 20} MiB): skipped`);
        off += 12 + len;
        continue;
      }
      const body = await readAt(fh, off + 8, len + 4);
      parts.push(h, body);
      total += 12 + len;
      if (type === 'IEND') return withNotes(Buffer.concat(parts), notes);
    }
    off += 12 + len;
  }
  if (off + 8 <= size) notes.push(`PNG with more than ${MAX_CHUNKS} chunks: the rest not read`);
  return withNotes(Buffer.concat(parts), notes);
}

const withNotes = (buf: Buffer, notes: string[]): Head => (notes.length ? { buf, note: notes.join('; ') } : { buf });

/** JPEG: everything before the image data (APP segments are at most 64 KiB each), and the last two bytes. */
async function jpegHead(fh: FileHandle, size: number): Promise<Head> {
  const head = await readAt(fh, 0, Math.min(size, 1 << 20));
  // Up to the start-of-scan marker; the segments before it hold the EXIF block and the frame size.
  let off = 2;
  while (off + 4 <= head.length) {
    if (head[off] !== 0xff) break;
    const marker = head[off + 1];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      off += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) {
      off += 2;
      break;
    }
    off += 2 + head.readUInt16BE(off + 2);
  }
  const kept = head.subarray(0, Math.min(off, head.length));
  return { buf: size > kept.length ? Buffer.concat([kept, await readAt(fh, size - 2, 2)]) : kept };
}

/** WebP: the RIFF header and the chunks that hold the size and EXIF (image data is skipped). */
async function webpHead(fh: FileHandle, size: number): Promise<Head> {
  const parts: Buffer[] = [];
  const riff = await readAt(fh, 0, 12);
  let off = 12;
  for (let n = 0; off + 8 <= size && n < MAX_CHUNKS; n++) {
    const h = await readAt(fh, off, 8);
    const type = h.toString('latin1', 0, 4);
    const len = h.readUInt32LE(4);
    if (type === 'EXIF' || type === 'VP8X' || type === 'VP8 ' || type === 'VP8L') {
      // The image chunks are cut to their headers (the size is in the first bytes).
      const take = type === 'EXIF' ? len : Math.min(len, 16);
      if (take > MAX_CHUNK_BYTES)
        return { buf: Buffer.concat([riff, ...parts]), note: `WebP EXIF chunk of ${len} bytes: larger than genwatt reads; metadata skipped` };
      if (off + 8 + take > size) return { buf: Buffer.concat([riff, ...parts, h]) };
      const body = await readAt(fh, off + 8, take);
      const hdr = Buffer.from(h);
      hdr.writeUInt32LE(take, 4);
      parts.push(hdr, body, take % 2 ? Buffer.alloc(1) : Buffer.alloc(0));
    }
    off += 8 + len + (len % 2);
  }
  return { buf: Buffer.concat([riff, ...parts]) };
}

/**
 * The part of an image file that holds its settings and pixel size, as a buffer the container
 * parsers read (image-meta.ts), or why the file was not read.
 */
export async function readImageHead(path: string): Promise<Head | { skip: string }> {
  const o = await openRegular(path);
  if ('skip' in o) return o;
  try {
    const sig = await readAt(o.fh, 0, 12);
    if (sig.length >= 8 && sig[0] === 0x89 && sig.toString('latin1', 1, 4) === 'PNG') return await pngHead(o.fh, o.size);
    if (sig.length >= 2 && sig[0] === 0xff && sig[1] === 0xd8) return await jpegHead(o.fh, o.size);
    if (sig.length >= 12 && sig.toString('latin1', 0, 4) === 'RIFF' && sig.toString('latin1', 8, 12) === 'WEBP') return await webpHead(o.fh, o.size);
    if (sig.length >= 12 && (sig.toString('latin1', 4, 8) === 'ftyp' || (sig.readUInt32BE(0) === 12 && sig.toString('latin1', 4, 8) === 'JXL ')))
      return await bmffHead(o.fh, o.size);
    return { buf: sig };
  } catch (err) {
    return { skip: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  } finally {
    await o.fh.close().catch(() => undefined);
  }
}
