/**
 * Is an image file complete? Decided from its bytes (pure), so a file written in place in two
 * halves is counted once, whole, and a tmp + rename arrives without waiting for a quiet period.
 */
import { openRegular } from './image-file.js';
import type { FileHandle } from 'node:fs/promises';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.avif', '.heif', '.heic', '.jxl'] as const;

/** `complete`, `incomplete`, or `unknown` (the format has no end marker: decide by stability). */
export type Completeness = 'complete' | 'incomplete' | 'unknown';

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/** Temp files and partial downloads that are never images yet. */
export function isIgnoredName(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('.') || n.endsWith('.tmp') || n.endsWith('.part') || n.endsWith('.partial') || n.endsWith('.crdownload') || n.endsWith('~');
}

export function isImagePath(p: string): boolean {
  const lower = p.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Reads the box headers of an ISO-BMFF file (AVIF, boxed JXL): complete when they tile the file exactly. */
async function bmffComplete(read: (pos: number, len: number) => Promise<Buffer>, size: number, needMdat: boolean): Promise<Completeness> {
  let pos = 0;
  let sawData = false;
  for (let boxes = 0; pos < size && boxes < 10000; boxes++) {
    if (size - pos < 8) return 'incomplete';
    const h = await read(pos, 16);
    let len = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    if (len === 1) {
      if (h.length < 16) return 'incomplete';
      len = Number(h.readBigUInt64BE(8));
    } else if (len === 0) len = size - pos;
    if (len < 8) return 'incomplete';
    if (type === 'mdat' || type === 'jxlc' || type === 'jxlp') sawData = true;
    pos += len;
  }
  if (pos !== size) return 'incomplete';
  return !needMdat || sawData ? 'complete' : 'incomplete';
}

/** Not a regular file (FIFO, socket, device, symlink): never opened for reading, never an image. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
}

/** Judges a file by its format's own structure. Throws NotRegularFileError for anything but a regular file. */
export async function checkComplete(path: string): Promise<Completeness> {
  return (await checkCompleteFile(path)).verdict;
}

/** The verdict and the file it is about: size, mtime and inode from the same open descriptor that was read. */
export interface CompleteFile {
  verdict: Completeness;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/**
 * checkComplete, with the identity of the file judged. A separate lstat can see an earlier state
 * of a file still being written (its size and mtime before the last write) than the read that
 * found it complete: a name counted with that stale identity would look rewritten at its next event.
 */
export async function checkCompleteFile(path: string): Promise<CompleteFile> {
  const o = await openRegular(path);
  if ('skip' in o) {
    if (o.code === 'ENOTREG' || o.code === 'ELOOP') throw new NotRegularFileError(o.skip);
    throw Object.assign(new Error(o.skip), { code: o.code });
  }
  const { size, mtimeMs, ino, dev } = o;
  return { verdict: await judge(o.fh, size), size, mtimeMs, ino, dev };
}

async function judge(fh: FileHandle, size: number): Promise<Completeness> {
  try {
    if (size === 0) return 'incomplete';
    const read = async (pos: number, len: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(len, size - pos)));
      await fh.read(buf, 0, buf.length, pos);
      return buf;
    };
    const head = await read(0, 16);
    if (head.subarray(0, 8).equals(PNG_SIG)) return size >= 20 && (await read(size - 12, 12)).equals(PNG_IEND) ? 'complete' : 'incomplete';
    if (head[0] === 0xff && head[1] === 0xd8) {
      // Some encoders pad after the EOI marker: look for FFD9 near the end.
      const tail = await read(Math.max(0, size - 64), 64);
      for (let i = tail.length - 2; i >= 0; i--) {
        if (tail[i] === 0xff && tail[i + 1] === 0xd9) return tail.subarray(i + 2).every((b) => b === 0) ? 'complete' : 'incomplete';
      }
      return 'incomplete';
    }
    if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP')
      return head.readUInt32LE(4) + 8 <= size ? 'complete' : 'incomplete';
    if (head.toString('latin1', 4, 8) === 'ftyp') return bmffComplete(read, size, true);
    if (head.length >= 12 && head.readUInt32BE(0) === 12 && head.toString('latin1', 4, 8) === 'JXL ') return bmffComplete(read, size, true);
    if (head[0] === 0xff && head[1] === 0x0a) return 'unknown'; // bare JXL codestream: no end marker
    return size < 16 ? 'incomplete' : 'unknown';
  } finally {
    await fh.close();
  }
}
