/**
 * Launcher presets from `genwatt.config.json` (working folder) or
 * `$XDG_CONFIG_HOME/genwatt/config.json` (`~/.config/...`). JSON with comments is accepted, so the
 * example config can carry commented examples. A file that cannot be read or parsed gives one
 * message naming the file, the line and the field, and no presets; a bad preset disables only itself.
 */
import { readFileSync } from 'node:fs';
import { parseJsonc, validateAgainst } from './jsonc-config.js';
import { DEMO_TAGS } from './demo-tags.js';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../package-info.js';
import { backendConfig, BackendConfigError, type BackendOptions } from './backend-config.js';
import type { BackendConfig } from './backend-types.js';

export interface Preset {
  name: string;
  description?: string;
  /** argv; `{count}`, `{out}` and `{genwatt}` (genwatt's own folder) are substituted when the run starts. */
  command: string[];
  /** Absolute working folder (default: the config file's folder). */
  cwd: string;
  /** Absolute output folder to watch, if any. */
  out: string | null;
  count: number | null;
  idleSeconds: number | null;
  warmup: number | null;
  timeoutSeconds: number | null;
  /** GPUs charged to its runs (as `--gpu`); null: the run's default. */
  gpu: string | null;
  tags: Record<string, string>;
  /** A server backend instead of `command` (which is then empty). */
  backend: BackendConfig | null;
  /** `out` is genwatt's own temporary folder (the built-in demo's): removed after each run. */
  ownOutDir?: boolean;
}

export interface PresetLoad {
  presets: Preset[];
  /** The file read, or null when none exists. */
  file: string | null;
  /** Where genwatt looked, in order. */
  searched: string[];
  /** What is wrong with the whole file (names file, line and field), or null. */
  error: string | null;
  /** Presets left out, each with what is wrong with it (the others load). */
  disabled: { name: string; reason: string }[];
}

export function configCandidates(cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return [join(cwd, 'genwatt.config.json'), join(xdg, 'genwatt', 'config.json')];
}

/** Presets from validated raw objects; relative paths resolve against the file's folder. */
export function buildPresets(raw: readonly Record<string, unknown>[], file: string): Preset[] {
  const names = new Set<string>();
  return raw.map((p, i) => {
    const name = String(p.name);
    if (names.has(name)) throw new Error(`${file}: presets[${i}].name "${name}" is used twice`);
    names.add(name);
    return buildPreset(p, i, file);
  });
}

/** One validated raw preset; throws an Error naming the file and the field. */
function buildPreset(p: Record<string, unknown>, i: number, file: string): Preset {
  const base = dirname(file);
  const name = String(p.name);
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries((p.tags as Record<string, unknown>) ?? {})) tags[k] = String(v);
  let backend: BackendConfig | null = null;
  try {
    const b = p.backend as (BackendOptions & { kind?: string }) | undefined;
    backend = b ? backendConfig({ ...b, backend: b.kind }, base) : null;
  } catch (err) {
    if (err instanceof BackendConfigError) throw new Error(`${file}: presets[${i}].backend: ${err.message}`);
    throw err;
  }
  if (!backend && !Array.isArray(p.command)) throw new Error(`${file}: presets[${i}] needs a command (argv) or a backend (forge, comfyui)`);
  if (backend && !p.out) throw new Error(`${file}: presets[${i}].out is missing: a ${backend.kind} preset counts images in the folder the server saves into`);
  const preset: Preset = {
    name,
    command: backend ? [] : (p.command as string[]).slice(),
    cwd: resolve(base, (p.cwd as string | undefined) ?? '.'),
    out: p.out ? resolve(base, p.out as string) : null,
    count: (p.count as number | undefined) ?? null,
    idleSeconds: (p.idleSeconds as number | undefined) ?? null,
    warmup: (p.warmup as number | undefined) ?? null,
    timeoutSeconds: (p.timeoutSeconds as number | undefined) ?? null,
    gpu: p.gpu === undefined ? null : String(p.gpu),
    tags,
    backend,
  };
  if (typeof p.description === 'string') preset.description = p.description;
  return preset;
}

/**
 * Parses one config text: a syntax error or a wrong shape throws (naming line and column, or the
 * field); each preset is then checked alone, and a bad one is disabled with its reason.
 */
export async function parseConfig(text: string, file: string): Promise<Pick<PresetLoad, 'presets' | 'disabled'>> {
  const data = await parseJsonc(text, file);
  const raw = (data as { presets?: unknown } | null)?.presets;
  // The top level alone: an object whose presets is an array (each preset is checked below).
  await validateAgainst(Array.isArray(raw) ? { ...(data as object), presets: [] } : data, text, file, 'config.schema.json');
  const out: Pick<PresetLoad, 'presets' | 'disabled'> = { presets: [], disabled: [] };
  const names = new Set<string>();
  for (const [i, p] of (raw as unknown[]).entries()) {
    const name = typeof (p as { name?: unknown } | null)?.name === 'string' ? (p as { name: string }).name : `presets[${i}]`;
    try {
      await validateAgainst(p, text, file, 'config.schema.json', { definition: 'preset', at: `/presets/${i}` });
      if (names.has(name)) throw new Error(`${file}: presets[${i}].name "${name}" is used twice`);
      out.presets.push(buildPreset(p as Record<string, unknown>, i, file));
      names.add(name);
    } catch (err) {
      out.disabled.push({ name, reason: (err as Error).message });
    }
  }
  return out;
}

/** Reads the first config that exists. Never throws: problems come back in `error`. */
export async function loadPresets(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<PresetLoad> {
  const searched = configCandidates(cwd, env);
  for (const file of searched) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      return { presets: [], file, searched, error: `${file}: cannot read (${code ?? (err as Error).message})`, disabled: [] };
    }
    try {
      return { ...(await parseConfig(text, file)), file, searched, error: null };
    } catch (err) {
      return { presets: [], file, searched, error: (err as Error).message, disabled: [] };
    }
  }
  return { presets: [], file: null, searched, error: null, disabled: [] };
}

/** argv with `{count}`, `{out}` and `{genwatt}` (where genwatt is installed: its demo generator) filled in. */
export function presetArgv(p: Preset, count: number | null): string[] {
  return p.command.map((a) =>
    a
      .replace(/\{count\}/g, count === null ? '' : String(count))
      .replace(/\{out\}/g, p.out ?? '')
      .replace(/\{genwatt\}/g, packageRoot()),
  );
}

/** The bundled demo as a preset: the demo generator into a fresh temp folder. */
export function demoPreset(outDir: string, count = 10): Preset {
  return {
    name: 'demo (bundled generator)',
    description: 'writes real PNGs; drives the simulated GPU when no GPU is found',
    command: [
      process.execPath,
      join(packageRoot(), 'fixtures/demo-generator.mjs'),
      '--out',
      '{out}',
      '--count',
      '{count}',
      '--seconds',
      '0.8',
      '--batch-at',
      '4',
    ],
    cwd: packageRoot(),
    out: outDir,
    count,
    idleSeconds: 2,
    warmup: null,
    timeoutSeconds: null,
    gpu: null,
    tags: { ...DEMO_TAGS },
    backend: null,
    ownOutDir: true,
  };
}
