/**
 * ISO base media file format (HEIF, AVIF, and the JPEG XL container) as far as image settings go:
 * where the EXIF item is (the `meta` box: `iinf` names an item of type `Exif`, `iloc` says where its
 * bytes are) and the pixel size (`ispe`). Forge Neo saves AVIF and JXL with the A1111 infotext in
 * EXIF UserComment (modules/images.py save_image_with_geninfo), pillow-heif saves HEIF the same way.
 * Pure and bounded: every length is checked against the buffer it claims to be in.
 */

export interface Box {
  type: string;
  /** Offset of the payload (after the header) and its end, within the buffer walked. */
  start: number;
  end: number;
}

/** Most boxes walked at one level (a crafted file could hold millions of empty ones). */
const MAX_BOXES = 1024;

/** The boxes in `buf[from, to)`; stops at the first box whose size does not fit. */
export function boxes(buf: Buffer, from = 0, to = buf.length): Box[] {
  const out: Box[] = [];
  let off = from;
  while (off + 8 <= to && out.length < MAX_BOXES) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1) {
      if (off + 16 > to) break;
      const big = buf.readBigUInt64BE(off + 8);
      if (big > BigInt(to - off)) break;
      size = Number(big);
      header = 16;
    } else if (size === 0) size = to - off;
    if (size < header || off + size > to) break;
    out.push({ type, start: off + header, end: off + size });
    off += size;
  }
  return out;
}

export interface Extent {
  offset: number;
  length: number;
}

export interface HeifFacts {
  /** Where the EXIF item's bytes are: in the file (construction 0) or in the meta box's `idat` (1). */
  exif?: { extents: Extent[]; inIdat: boolean };
  /** `idat` payload, when the EXIF item lives there. */
  idat?: Buffer;
  width?: number;
  height?: number;
  note?: string;
}

function uintN(buf: Buffer, off: number, bytes: number): number {
  if (bytes === 0) return 0;
  if (bytes === 4) return buf.readUInt32BE(off);
  if (bytes === 8) {
    const v = buf.readBigUInt64BE(off);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  if (bytes === 2) return buf.readUInt16BE(off);
  throw new RangeError(`field of ${bytes} bytes`);
}

/** The `Exif` item id from `iinf` (FullBox; `infe` version 2 or 3). */
function exifItemId(buf: Buffer, iinf: Box): number | undefined {
  const version = buf[iinf.start];
  const first = iinf.start + 4 + (version === 0 ? 2 : 4);
  for (const infe of boxes(buf, first, iinf.end)) {
    if (infe.type !== 'infe' || infe.end - infe.start < 12) continue;
    const v = buf[infe.start];
    if (v < 2) continue;
    let p = infe.start + 4;
    const id = v === 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
    p += v === 2 ? 2 : 4;
    p += 2; // item_protection_index
    if (p + 4 > infe.end) continue;
    if (buf.toString('latin1', p, p + 4) === 'Exif') return id;
  }
  return undefined;
}

/** The extents of item `id` from `iloc` (versions 0–2). */
function itemExtents(buf: Buffer, iloc: Box, id: number): { extents: Extent[]; method: number } | undefined {
  const v = buf[iloc.start];
  let p = iloc.start + 4;
  const need = (n: number) => {
    if (p + n > iloc.end) throw new RangeError('iloc truncated');
  };
  need(2);
  const offsetSize = buf[p] >> 4;
  const lengthSize = buf[p] & 15;
  const baseOffsetSize = buf[p + 1] >> 4;
  const indexSize = v === 1 || v === 2 ? buf[p + 1] & 15 : 0;
  p += 2;
  need(v < 2 ? 2 : 4);
  const count = v < 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
  p += v < 2 ? 2 : 4;
  for (let i = 0; i < Math.min(count, 4096); i++) {
    need(v < 2 ? 2 : 4);
    const itemId = v < 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
    p += v < 2 ? 2 : 4;
    let method = 0;
    if (v === 1 || v === 2) {
      need(2);
      method = buf.readUInt16BE(p) & 15;
      p += 2;
    }
    need(2 + baseOffsetSize + 2);
    p += 2; // data_reference_index
    const base = uintN(buf, p, baseOffsetSize);
    p += baseOffsetSize;
    const n = buf.readUInt16BE(p);
    p += 2;
    const extents: Extent[] = [];
    for (let e = 0; e < n; e++) {
      need(indexSize + offsetSize + lengthSize);
      p += indexSize;
      const offset = base + uintN(buf, p, offsetSize);
      p += offsetSize;
      const length = uintN(buf, p, lengthSize);
      p += lengthSize;
      extents.push({ offset, length });
    }
    if (itemId === id) return { extents, method };
  }
  return undefined;
}

/** Facts from a `meta` box payload (the bytes after its 8- or 16-byte header). */
export function heifFacts(meta: Buffer): HeifFacts {
  const out: HeifFacts = {};
  try {
    const inner = boxes(meta, 4); // FullBox: version and flags first
    const iinf = inner.find((b) => b.type === 'iinf');
    const iloc = inner.find((b) => b.type === 'iloc');
    const idat = inner.find((b) => b.type === 'idat');
    const iprp = inner.find((b) => b.type === 'iprp');
    if (iprp) {
      const ipco = boxes(meta, iprp.start, iprp.end).find((b) => b.type === 'ipco');
      // The largest `ispe` is the image (thumbnails and alpha planes have their own).
      for (const b of ipco ? boxes(meta, ipco.start, ipco.end) : []) {
        if (b.type !== 'ispe' || b.end - b.start < 12) continue;
        const w = meta.readUInt32BE(b.start + 4);
        const h = meta.readUInt32BE(b.start + 8);
        if (w * h > (out.width ?? 0) * (out.height ?? 0)) {
          out.width = w;
          out.height = h;
        }
      }
    }
    const id = iinf ? exifItemId(meta, iinf) : undefined;
    if (id !== undefined && iloc) {
      const loc = itemExtents(meta, iloc, id);
      if (loc && (loc.method === 0 || loc.method === 1)) {
        out.exif = { extents: loc.extents, inIdat: loc.method === 1 };
        if (loc.method === 1 && idat) out.idat = meta.subarray(idat.start, idat.end);
      }
    }
  } catch (err) {
    out.note = `unreadable HEIF meta box (${(err as Error).message})`;
  }
  return out;
}

/**
 * The TIFF block of an EXIF item or box: a 4-byte offset to the TIFF header first (ISO/IEC 23008-12
 * annex A), then optionally "Exif\0\0" (some writers keep the JPEG APP1 prefix).
 */
export function exifPayloadTiff(payload: Buffer): Buffer | undefined {
  if (payload.length < 8) return undefined;
  const skip = payload.readUInt32BE(0);
  let t = skip <= payload.length - 4 ? payload.subarray(4 + skip) : payload.subarray(4);
  if (t.toString('latin1', 0, 6) === 'Exif\0\0') t = t.subarray(6);
  const order = t.toString('latin1', 0, 2);
  return order === 'II' || order === 'MM' ? t : undefined;
}
