/**
 * Launcher presets from `genwatt.config.json` (working folder) or
 * `$XDG_CONFIG_HOME/genwatt/config.json` (`~/.config/...`). JSON with comments is accepted, so the
 * example config can carry commented examples. A bad file gives one message naming the file, the
 * line and the field; the caller keeps working with no presets.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../package-info.js';
import { backendConfig, BackendConfigError, type BackendOptions } from './backend-config.js';
import type { BackendConfig } from './backend-types.js';

export interface Preset {
  name: string;
  description?: string;
  /** argv; `{count}` and `{out}` are substituted when the run starts. */
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
  /** What is wrong with the file (names file, line and field), or null. */
  error: string | null;
}

export function configCandidates(cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return [join(cwd, 'genwatt.config.json'), join(xdg, 'genwatt', 'config.json')];
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** `/presets/1/command` → `presets[1].command` */
export function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** Parses JSON with comments; throws an Error naming the file and line. */
export async function parseJsonc(text: string, file: string): Promise<unknown> {
  const { parse, printParseErrorCode } = await import('jsonc-parser');
  const errors: import('jsonc-parser').ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) throw new Error(`${file} line ${lineOf(text, errors[0].offset)}: not valid JSON (${printParseErrorCode(errors[0].error)})`);
  return data;
}

/** Validates `data` (parsed from `text`) against a schema of schema/; the error names the file, line and field. */
export async function validateAgainst(data: unknown, text: string, file: string, schemaName: string): Promise<void> {
  const { parseTree, findNodeAtLocation } = await import('jsonc-parser');
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ allErrors: false, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(packageRoot(), 'schema', schemaName), 'utf8')));
  if (validate(data)) return;
  const e = validate.errors![0];
  let pointer = e.instancePath;
  let what = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
    what = 'is missing';
  } else if (e.keyword === 'additionalProperties') {
    pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    what = 'is not a known field';
  }
  const path = pointer
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  let node = findNodeAtLocation(parseTree(text)!, path);
  for (let k = path.length - 1; !node && k >= 0; k--) node = findNodeAtLocation(parseTree(text)!, path.slice(0, k));
  const line = node ? ` line ${lineOf(text, node.offset)}` : '';
  throw new Error(`${file}${line}: ${fieldName(pointer) || '(top level)'} ${what}`);
}

/** Presets from validated raw objects; relative paths resolve against the file's folder. */
export function buildPresets(raw: readonly Record<string, unknown>[], file: string): Preset[] {
  const base = dirname(file);
  const names = new Set<string>();
  return raw.map((p, i) => {
    const name = String(p.name);
    if (names.has(name)) throw new Error(`${file}: presets[${i}].name "${name}" is used twice`);
    names.add(name);
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
  });
}

/** Parses and validates one config text; throws an Error whose message names line and field. */
export async function parseConfig(text: string, file: string): Promise<Preset[]> {
  const data = await parseJsonc(text, file);
  await validateAgainst(data, text, file, 'config.schema.json');
  return buildPresets((data as { presets: Record<string, unknown>[] }).presets, file);
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
      return { presets: [], file, searched, error: `${file}: cannot read (${code ?? (err as Error).message})` };
    }
    try {
      return { presets: await parseConfig(text, file), file, searched, error: null };
    } catch (err) {
      return { presets: [], file, searched, error: (err as Error).message };
    }
  }
  return { presets: [], file: null, searched, error: null };
}

/** argv with `{count}` and `{out}` filled in. */
export function presetArgv(p: Preset, count: number | null): string[] {
  return p.command.map((a) => a.replace(/\{count\}/g, count === null ? '' : String(count)).replace(/\{out\}/g, p.out ?? ''));
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
    tags: { model: 'demo generator (no model)' },
    backend: null,
    ownOutDir: true,
  };
}
