/**
 * What an image is, from the settings its generator embedded (pure parsing + one file read):
 * PNG tEXt / zTXt / iTXt chunks (A1111, Forge and stable-diffusion.cpp `parameters`; ComfyUI
 * `prompt`, the API graph) and EXIF UserComment in JPEG and WebP (A1111/Forge save their
 * `parameters` there). The pixel size comes from the image header itself. A corrupt or truncated
 * file gives what could be read and a note; it never throws.
 */
import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';

export interface ImageMeta {
  /** Which convention the settings followed. */
  source?: 'parameters' | 'comfyui';
  steps?: number;
  sampler?: string;
  scheduler?: string;
  cfgScale?: number;
  seed?: number;
  model?: string;
  /** Pixel size from the image header (else from the settings). */
  width?: number;
  height?: number;
}

export interface MetaResult {
  meta: ImageMeta;
  /** Why something could not be read (truncated, corrupt metadata). */
  note?: string;
}

// ---------- containers ----------

/** PNG text chunks (keyword → text). Stops at a truncated or corrupt chunk and says so. */
export function pngText(buf: Buffer): { texts: Map<string, string>; width?: number; height?: number; note?: string } {
  const texts = new Map<string, string>();
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(sig)) return { texts, note: 'not a PNG file' };
  let off = 8;
  let width: number | undefined;
  let height: number | undefined;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) return { texts, width, height, note: `truncated PNG (chunk ${JSON.stringify(type)} runs past the end)` };
    const data = buf.subarray(off + 8, off + 8 + len);
    try {
      if (type === 'IHDR' && len >= 8) {
        width = data.readUInt32BE(0);
        height = data.readUInt32BE(4);
      } else if (type === 'tEXt') {
        const z = data.indexOf(0);
        if (z > 0) texts.set(data.toString('latin1', 0, z), data.toString('latin1', z + 1));
      } else if (type === 'zTXt') {
        const z = data.indexOf(0);
        if (z > 0) texts.set(data.toString('latin1', 0, z), inflateSync(data.subarray(z + 2)).toString('latin1'));
      } else if (type === 'iTXt') {
        const z = data.indexOf(0);
        if (z > 0) {
          const compressed = data[z + 1] === 1;
          const lang = data.indexOf(0, z + 3);
          const trans = lang >= 0 ? data.indexOf(0, lang + 1) : -1;
          if (trans >= 0) {
            const body = data.subarray(trans + 1);
            texts.set(data.toString('latin1', 0, z), (compressed ? inflateSync(body) : body).toString('utf8'));
          }
        }
      } else if (type === 'IEND') return { texts, width, height };
    } catch (err) {
      return { texts, width, height, note: `corrupt ${type} chunk (${(err as Error).message})` };
    }
    off += 12 + len;
  }
  return { texts, width, height, note: 'truncated PNG (no IEND chunk)' };
}

/** EXIF UserComment from a TIFF block (the EXIF payload). */
export function exifUserComment(tiff: Buffer): string | undefined {
  if (tiff.length < 8) return undefined;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  if (!le && tiff.toString('latin1', 0, 2) !== 'MM') return undefined;
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const entries = (ifd: number) => {
    const out: { tag: number; type: number; count: number; valueOff: number }[] = [];
    if (ifd + 2 > tiff.length) return out;
    const n = u16(ifd);
    for (let i = 0; i < n && ifd + 2 + i * 12 + 12 <= tiff.length; i++) {
      const e = ifd + 2 + i * 12;
      out.push({ tag: u16(e), type: u16(e + 2), count: u32(e + 4), valueOff: e + 8 });
    }
    return out;
  };
  const exifPtr = entries(u32(4)).find((e) => e.tag === 0x8769);
  if (!exifPtr) return undefined;
  const uc = entries(u32(exifPtr.valueOff)).find((e) => e.tag === 0x9286);
  if (!uc || uc.count < 8) return undefined;
  const at = uc.count > 4 ? u32(uc.valueOff) : uc.valueOff;
  if (at + uc.count > tiff.length) return undefined;
  const raw = tiff.subarray(at, at + uc.count);
  const code = raw.toString('latin1', 0, 8);
  const body = raw.subarray(8);
  if (code.startsWith('UNICODE')) {
    // piexif writes UTF-16 big-endian whatever the TIFF order; take the order that gives text.
    const be = decodeUtf16(body, false);
    const lef = decodeUtf16(body, true);
    return printable(be) >= printable(lef) ? be : lef;
  }
  return body.toString(code.startsWith('ASCII') ? 'latin1' : 'utf8').replace(/\0+$/, '');
}

function decodeUtf16(b: Buffer, little: boolean): string {
  const even = b.subarray(0, b.length - (b.length % 2));
  const copy = Buffer.from(even);
  if (!little) copy.swap16();
  return copy.toString('utf16le').replace(/\0+$/, '');
}

function printable(s: string): number {
  let n = 0;
  for (const ch of s) if (/[\x20-\x7e\n]/.test(ch)) n++;
  return n;
}

/** JPEG: the APP1 Exif block and the frame size. */
export function jpegInfo(buf: Buffer): { tiff?: Buffer; width?: number; height?: number; note?: string } {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return { note: 'not a JPEG file' };
  let off = 2;
  const out: { tiff?: Buffer; width?: number; height?: number; note?: string } = {};
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
export function webpInfo(buf: Buffer): { tiff?: Buffer; width?: number; height?: number; note?: string } {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') return { note: 'not a WebP file' };
  const out: { tiff?: Buffer; width?: number; height?: number; note?: string } = {};
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

// ---------- conventions ----------

const num = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : undefined;
};

/** `key: value` pairs of the settings line, quoted values allowed (A1111's own pattern). */
export function parseParameterPairs(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*(\w[\w \-/+]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;
  for (let m; (m = re.exec(line)); ) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    let v = m[2].trim();
    if (v.startsWith('"') && v.endsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    out.set(m[1].trim(), v);
  }
  return out;
}

/** A1111 / Forge / stable-diffusion.cpp `parameters`: prompt, `Negative prompt:` …, then the settings line. */
export function parseParameters(text: string): ImageMeta {
  const lines = text.trim().split('\n');
  const settings = [...lines].reverse().find((l) => /\bSteps:\s*\d+/.test(l)) ?? '';
  const p = parseParameterPairs(settings);
  const meta: ImageMeta = { source: 'parameters' };
  const steps = num(p.get('Steps'));
  if (steps !== undefined) meta.steps = steps;
  const sampler = p.get('Sampler');
  if (sampler) meta.sampler = sampler;
  const sched = p.get('Schedule type') ?? p.get('Scheduler');
  if (sched) meta.scheduler = sched;
  const cfg = num(p.get('CFG scale'));
  if (cfg !== undefined) meta.cfgScale = cfg;
  const seed = num(p.get('Seed'));
  if (seed !== undefined && Number.isSafeInteger(seed)) meta.seed = seed;
  const model = p.get('Model');
  if (model) meta.model = model;
  const size = /^(\d+)x(\d+)$/.exec(p.get('Size') ?? '');
  if (size) {
    meta.width = Number(size[1]);
    meta.height = Number(size[2]);
  }
  return meta;
}

type Graph = Record<string, { class_type?: string; inputs?: Record<string, unknown> }>;

/** ComfyUI `prompt` (the API graph): the sampler node's settings, the latent size, the checkpoint. */
export function parseComfyPrompt(text: string): ImageMeta {
  const g = JSON.parse(text) as Graph;
  if (!g || typeof g !== 'object' || Array.isArray(g)) throw new Error('prompt is not a ComfyUI graph');
  const meta: ImageMeta = { source: 'comfyui' };
  // An input is a value or a link [nodeId, output]: follow links to primitive nodes.
  const val = (v: unknown, depth = 0): unknown => {
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && depth < 8) {
      const n = g[v[0]];
      const inputs = n?.inputs ?? {};
      for (const k of ['value', 'seed', 'noise_seed', 'int', 'float', 'string']) if (k in inputs) return val(inputs[k], depth + 1);
      return undefined;
    }
    return v;
  };
  const nodes = Object.values(g).filter((n) => n && typeof n === 'object');
  const sampler = nodes.find((n) => /^KSampler/.test(n.class_type ?? '')) ?? nodes.find((n) => /Sampler/.test(n.class_type ?? '') && n.inputs && ('steps' in n.inputs || 'noise_seed' in n.inputs));
  const si = sampler?.inputs ?? {};
  const steps = val(si.steps);
  if (typeof steps === 'number') meta.steps = steps;
  else {
    const sched = nodes.find((n) => n.inputs && typeof val(n.inputs.steps) === 'number');
    if (sched) meta.steps = val(sched.inputs!.steps) as number;
  }
  const sn = val(si.sampler_name);
  if (typeof sn === 'string') meta.sampler = sn;
  const sc = val(si.scheduler);
  if (typeof sc === 'string') meta.scheduler = sc;
  const cfg = val(si.cfg);
  if (typeof cfg === 'number') meta.cfgScale = cfg;
  // ComfyUI seeds go up to 2^64: above 2^53 JSON.parse has already changed the last digits, and
  // a wrong seed is worse than none.
  const seed = val(si.seed ?? si.noise_seed);
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) meta.seed = seed;
  const latent = nodes.find((n) => /^Empty.*LatentImage$/.test(n.class_type ?? ''));
  const w = val(latent?.inputs?.width);
  const h = val(latent?.inputs?.height);
  if (typeof w === 'number' && typeof h === 'number') {
    meta.width = w;
    meta.height = h;
  }
  const loader = nodes.find((n) => n.inputs && ['ckpt_name', 'unet_name', 'model_name'].some((k) => typeof n.inputs![k] === 'string'));
  const name = loader && (['ckpt_name', 'unet_name', 'model_name'].map((k) => loader.inputs![k]).find((x) => typeof x === 'string') as string | undefined);
  if (name) meta.model = name.replace(/\.(safetensors|ckpt|gguf|pt|bin)$/i, '');
  return meta;
}

/** Reads an image's embedded settings and pixel size. Never throws. */
export async function readImageMeta(path: string): Promise<MetaResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    return { meta: {}, note: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  return imageMetaFromBuffer(buf);
}

export function imageMetaFromBuffer(buf: Buffer): MetaResult {
  const notes: string[] = [];
  let meta: ImageMeta = {};
  let text: { kind: 'parameters' | 'comfyui'; value: string } | undefined;
  let width: number | undefined;
  let height: number | undefined;
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50) {
    const r = pngText(buf);
    width = r.width;
    height = r.height;
    if (r.note) notes.push(r.note);
    const params = r.texts.get('parameters');
    const prompt = r.texts.get('prompt');
    if (params) text = { kind: 'parameters', value: params };
    else if (prompt) text = { kind: 'comfyui', value: prompt };
  } else {
    const r = buf[0] === 0xff && buf[1] === 0xd8 ? jpegInfo(buf) : buf.toString('latin1', 0, 4) === 'RIFF' ? webpInfo(buf) : { note: 'no metadata reader for this format' };
    width = r.width;
    height = r.height;
    if (r.note) notes.push(r.note);
    try {
      const uc = r.tiff ? exifUserComment(r.tiff) : undefined;
      if (uc) text = { kind: 'parameters', value: uc };
    } catch (err) {
      notes.push(`corrupt EXIF (${(err as Error).message})`);
    }
  }
  if (text) {
    try {
      meta = text.kind === 'parameters' ? parseParameters(text.value) : parseComfyPrompt(text.value);
    } catch (err) {
      notes.push(`unreadable ${text.kind === 'comfyui' ? 'ComfyUI prompt' : 'parameters'} (${(err as Error).message.slice(0, 80)})`);
    }
  }
  if (width && height) {
    meta.width = width;
    meta.height = height;
  }
  const out: MetaResult = { meta };
  if (notes.length) out.note = notes.join('; ');
  return out;
}
