/**
 * The image decoder, in a worker thread so decoding never runs on the sampler's path: reads one PNG or
 * JPEG (only a regular file, at most MAX_FILE_BYTES, at most MAX_PIXELS pixels by its header) and
 * answers its luminance entropy. Decoders: png-luma.ts for the 8-bit PNGs generators write, pngjs for
 * every other PNG, jpeg-js for JPEG (pure JavaScript; the commit messages have the measured choice).
 */
import { parentPort } from 'node:worker_threads';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { histogramEntropy, luminanceEntropy } from './entropy.js';
import { pngLumaHistogram } from './png-luma.js';
import { openRegular } from './image-file.js';

export const MAX_FILE_BYTES = 64 << 20;
export const MAX_PIXELS = 40_000_000;

async function entropyOf(path: string): Promise<{ bits: number | null; note?: string }> {
  const o = await openRegular(path);
  if ('skip' in o) return { bits: null, note: o.skip };
  let buf: Buffer;
  try {
    if (o.size > MAX_FILE_BYTES) return { bits: null, note: `${o.size} bytes: larger than genwatt decodes` };
    buf = Buffer.alloc(o.size);
    let off = 0;
    while (off < o.size) {
      const { bytesRead } = await o.fh.read(buf, off, o.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
  } finally {
    await o.fh.close().catch(() => undefined);
  }
  if (buf[0] === 0x89 && buf.toString('latin1', 1, 4) === 'PNG') {
    const w = buf.readUInt32BE(16);
    const h = buf.readUInt32BE(20);
    if (w * h > MAX_PIXELS) return { bits: null, note: `${w}x${h}: more pixels than genwatt decodes` };
    const fast = pngLumaHistogram(buf, MAX_PIXELS);
    if (fast) return { bits: histogramEntropy(fast.hist, fast.pixels) };
    const png = PNG.sync.read(buf);
    return { bits: luminanceEntropy(png.data, png.width * png.height, 4) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 512 });
    return { bits: luminanceEntropy(img.data, img.width * img.height, 4) };
  }
  return { bits: null, note: 'no decoder for this format (PNG and JPEG are decoded)' };
}

parentPort?.on('message', (m: { id: number; path: string }) => {
  entropyOf(m.path).then(
    (r) => parentPort!.postMessage({ id: m.id, ...r }),
    (err: Error) => parentPort!.postMessage({ id: m.id, bits: null, note: `undecodable: ${err.message.slice(0, 120)}` }),
  );
});
