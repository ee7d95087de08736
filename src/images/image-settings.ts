/**
 * The settings an image's generator wrote into it (pure): A1111 / Forge / stable-diffusion.cpp
 * `parameters` text and ComfyUI's `prompt` graph. Text comes from files anyone can write into a
 * watched folder, so it is capped ({@link MAX_SETTINGS_CHARS}) and parsed in one pass: a crafted
 * megabyte of `parameters` costs milliseconds, not the seconds a backtracking pattern took.
 */

import { jsonProblem } from '../text/json-problem.js';

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

/** Longest settings text parsed; a longer one is cut (its settings line is the last one: the end is kept). */
export const MAX_SETTINGS_CHARS = 1 << 20;

const num = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : undefined;
};

const KEY_CHAR = /[\w \-/+]/;
const WORD_CHAR = /\w/;
const SPACE = /\s/;

/** End (exclusive) of a `"…"` value starting at `i` (backslash escapes), or -1 when it never closes or is empty. */
function quotedEnd(line: string, i: number): number {
  for (let k = i + 1; k < line.length; k++) {
    const c = line[k];
    if (c === '\\') k++;
    else if (c === '"') return k > i + 1 ? k + 1 : -1;
  }
  return -1;
}

/**
 * `key: value` pairs of the settings line, quoted values allowed: the pairs A1111's own pattern
 * (`\s*(\w[\w \-/+]*):\s*("…"|[^,]*)(?:,|$)`) finds, found in one pass over the line.
 */
export function parseParameterPairs(line: string): Map<string, string> {
  const out = new Map<string, string>();
  let p = 0;
  while (p < line.length) {
    // The leftmost `key:` at or after p: a run of key characters starting with a word character.
    let keyStart = -1;
    let colon = -1;
    for (let i = p; i < line.length; i++) {
      const c = line[i];
      if (c === ':' && keyStart >= 0) {
        colon = i;
        break;
      }
      if (c !== ':' && KEY_CHAR.test(c)) {
        if (keyStart < 0 && WORD_CHAR.test(c)) keyStart = i;
      } else keyStart = -1;
    }
    if (colon < 0) break;
    let v = colon + 1;
    while (v < line.length && SPACE.test(line[v])) v++;
    let end = -1;
    if (line[v] === '"') {
      const q = quotedEnd(line, v);
      if (q > 0 && (q === line.length || line[q] === ',')) end = q;
    }
    if (end < 0) {
      const comma = line.indexOf(',', v);
      end = comma < 0 ? line.length : comma;
    }
    let value = line.slice(v, end).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        value = value.slice(1, -1);
      }
    }
    out.set(line.slice(keyStart, colon).trim(), value);
    p = end + 1;
  }
  return out;
}

/** A1111 / Forge / stable-diffusion.cpp `parameters`: prompt, `Negative prompt:` …, then the settings line. */
export function parseParameters(full: string): ImageMeta {
  const text = full.length > MAX_SETTINGS_CHARS ? full.slice(full.length - MAX_SETTINGS_CHARS) : full;
  const lines = text.trim().split('\n');
  let settings = '';
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\bSteps:\s*\d/.test(lines[i])) {
      settings = lines[i];
      break;
    }
  }
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
  const size = /^(\d{1,6})x(\d{1,6})$/.exec(p.get('Size') ?? '');
  if (size) {
    meta.width = Number(size[1]);
    meta.height = Number(size[2]);
  }
  return meta;
}

type Graph = Record<string, { class_type?: string; inputs?: Record<string, unknown> }>;

/** ComfyUI `prompt` (the API graph): the sampler node's settings, the latent size, the checkpoint. */
export function parseComfyPrompt(text: string): ImageMeta {
  if (text.length > MAX_SETTINGS_CHARS) throw new Error(`prompt graph longer than ${MAX_SETTINGS_CHARS} characters`);
  let g: Graph;
  try {
    g = JSON.parse(text) as Graph;
  } catch (err) {
    throw new Error(jsonProblem(err));
  }
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
  const sampler =
    nodes.find((n) => /^KSampler/.test(n.class_type ?? '')) ??
    nodes.find((n) => /Sampler/.test(n.class_type ?? '') && n.inputs && ('steps' in n.inputs || 'noise_seed' in n.inputs));
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
