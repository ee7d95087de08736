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
}

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
  sessions: PlanSession[];
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
  const plan: Plan = { name, file: path, recordDir, sessions };
  if (typeof data.description === 'string') plan.description = data.description;
  return plan;
}

/** `plan.json` → the files a report of the plan collects. */
export const reportBase = (p: Plan) => join(p.recordDir, `${p.name}-report`);
export const planLabel = (p: Plan) => `${p.name} (${basename(p.file)})`;
