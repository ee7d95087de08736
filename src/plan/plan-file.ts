/**
 * Experiment plans (`genwatt plan PLAN.json`): presets × repeats, each a session with its own idle
 * baseline and warm-up, with a cool-down between sessions. Loading expands the runs and names each
 * session file, so a plan that is run again finds what it already recorded.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildPresets, type Preset } from '../backends/presets.js';
import { parseJsonc, validateAgainst } from '../backends/jsonc-config.js';

export interface CoolDown {
  /** A fixed wait instead of the margins. */
  seconds: number | null;
  powerMarginWatts: number;
  temperatureMarginC: number;
  /** How long the margins must hold. */
  holdSeconds: number;
  /** The longest wait. */
  maxSeconds: number;
  /** Cool to this temperature, °C, or to the first session's starting temperature (`start`); absent: the idle margins. */
  toC?: number | 'start';
}

/** The order sessions run in (plan `order`). */
export type PlanOrder = 'sequential' | 'interleaved' | 'shuffled';

export const DEFAULT_COOL_DOWN: CoolDown = { seconds: null, powerMarginWatts: 10, temperatureMarginC: 3, holdSeconds: 3, maxSeconds: 300 };

export interface PlanSession {
  /** Stable name: `NN-preset-rK` (run number, preset, repeat). */
  id: string;
  runIndex: number;
  preset: Preset;
  repeat: number;
  repeats: number;
  count: number | null;
  idleSeconds: number;
  warmup: number;
  timeoutSeconds: number | null;
  gpu: string | null;
  tags: Record<string, string>;
  coolDown: CoolDown;
  /** The session file this run records into. */
  file: string;
}

export interface Plan {
  name: string;
  file: string;
  description?: string;
  recordDir: string;
  /** In the order they run. */
  sessions: PlanSession[];
  order: PlanOrder;
  /** The shuffled order's seed (given, kept from an earlier start, or drawn now). */
  seed: number | null;
}

/** Where a plan keeps its shuffled order's seed, so a resumed plan runs the same order. */
export const orderFile = (recordDir: string, name: string) => join(recordDir, `${name}-order.json`);

/** mulberry32: a small seeded generator, so an order is reproducible from its recorded seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sessions (listed run by run, repeats together) in the order the plan asks for. */
export function orderSessions(sessions: readonly PlanSession[], order: PlanOrder, seed: number | null): PlanSession[] {
  if (order === 'sequential') return [...sessions];
  if (order === 'interleaved') {
    // Repeat 1 of every run, then repeat 2 of every run, …: A B A B A B.
    const most = Math.max(...sessions.map((s) => s.repeat));
    const out: PlanSession[] = [];
    for (let k = 1; k <= most; k++) out.push(...sessions.filter((s) => s.repeat === k));
    return out;
  }
  const rnd = seeded(seed ?? 0);
  const out = [...sessions];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The seed kept in the plan's order file, if it is there and readable. */
function keptSeed(file: string): number | null {
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { seed?: unknown }).seed;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : null;
  } catch {
    return null;
  }
}

const slug = (s: string) =>
  s
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 48) || 'preset';

export async function loadPlan(file: string): Promise<Plan> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const data = (await parseJsonc(text, path)) as Record<string, unknown>;
  await validateAgainst(data, text, path, 'plan.schema.json');
  // The presets are checked with the launcher's schema; the field paths are the same in both files.
  await validateAgainst({ presets: data.presets }, text, path, 'config.schema.json');
  const presets = buildPresets(data.presets as Record<string, unknown>[], path);
  const byName = new Map(presets.map((p) => [p.name, p]));
  const base = dirname(path);
  const name = String(data.name);
  const recordDir = resolve(base, (data.recordDir as string | undefined) ?? join('genwatt-plans', name));
  const planCool = { ...DEFAULT_COOL_DOWN, ...((data.coolDown as Partial<CoolDown>) ?? {}) };
  const sessions: PlanSession[] = [];
  (data.runs as Record<string, unknown>[]).forEach((r, i) => {
    const preset = byName.get(String(r.preset));
    if (!preset) throw new Error(`${path}: runs[${i}].preset "${r.preset}" is not one of the plan's presets (${presets.map((p) => p.name).join(', ')})`);
    const repeats = (r.repeats as number | undefined) ?? 1;
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries((r.tags as Record<string, unknown>) ?? {})) tags[k] = String(v);
    for (let k = 1; k <= repeats; k++) {
      const id = `${String(i + 1).padStart(2, '0')}-${slug(preset.name)}-r${k}`;
      sessions.push({
        id,
        runIndex: i,
        preset,
        repeat: k,
        repeats,
        count: (r.count as number | undefined) ?? preset.count,
        idleSeconds: (r.idleSeconds as number | undefined) ?? preset.idleSeconds ?? 5,
        warmup: (r.warmup as number | undefined) ?? preset.warmup ?? 1,
        timeoutSeconds: (r.timeoutSeconds as number | undefined) ?? preset.timeoutSeconds,
        gpu: r.gpu === undefined ? preset.gpu : String(r.gpu),
        tags: { ...preset.tags, ...tags, plan: name, 'plan-run': id, preset: preset.name, repeat: `${k}/${repeats}` },
        coolDown: { ...planCool, ...((r.coolDown as Partial<CoolDown>) ?? {}) },
        file: join(recordDir, `${name}-${id}.json`),
      });
    }
  });
  for (const s of sessions)
    if (s.count === null && !s.preset.backend)
      throw new Error(
        `${path}: run ${s.id} has no image count (give runs[${s.runIndex}].count or the preset's count): a plan's sessions must end by themselves`,
      );
  const order = (data.order as PlanOrder | undefined) ?? 'sequential';
  const seed =
    order !== 'shuffled' ? null : typeof data.seed === 'number' ? data.seed : (keptSeed(orderFile(recordDir, name)) ?? Math.floor(Math.random() * 0x100000000));
  const ordered = orderSessions(sessions, order, seed);
  ordered.forEach((s, i) => {
    s.tags['plan-order'] = order;
    s.tags['plan-position'] = `${i + 1}/${ordered.length}`;
    if (seed !== null) s.tags['plan-seed'] = String(seed);
  });
  const plan: Plan = { name, file: path, recordDir, sessions: ordered, order, seed };
  if (typeof data.description === 'string') plan.description = data.description;
  return plan;
}

/** `plan.json` → the files a report of the plan collects. */
export const reportBase = (p: Plan) => join(p.recordDir, `${p.name}-report`);
export const planLabel = (p: Plan) => `${p.name} (${basename(p.file)})`;
