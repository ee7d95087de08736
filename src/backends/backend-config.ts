/**
 * Backend settings from the command line or a preset, checked once, with defaults a user expects
 * (Forge's own API defaults are 512² and 50 steps: genwatt always sends its own).
 */
import { isAbsolute, resolve } from 'node:path';
import type { BackendConfig, BackendKind } from './backend-types.js';
import { applyOverrides, loadWorkflow } from './comfyui-backend.js';
import { makeRedactor } from '../session/redact.js';
import { ApiAuthError, loadApiAuth } from './api-auth.js';

export interface BackendOptions {
  backend?: string;
  url?: string;
  prompt?: string;
  negativePrompt?: string;
  steps?: number;
  width?: number;
  height?: number;
  cfg?: number;
  sampler?: string;
  scheduler?: string;
  seed?: number;
  batchSize?: number;
  batchCount?: number;
  requests?: number;
  workflow?: string;
  /** `NODE.input=value` (value parsed as JSON when it can be, else a string) or an object. */
  set?: string[] | Record<string, unknown>;
  requestTimeoutSeconds?: number;
  /** A file holding one line user:password (else GENWATT_API_AUTH). */
  apiAuthFile?: string;
}

export class BackendConfigError extends Error {}

const DEFAULT_URL: Record<Exclude<BackendKind, 'command'>, string> = { forge: 'http://127.0.0.1:7860', comfyui: 'http://127.0.0.1:8188' };

function posInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new BackendConfigError(`${name} must be a whole number, 1 or more, got ${v}`);
  return v;
}

export function parseOverrides(set: BackendOptions['set']): Record<string, unknown> {
  if (!set) return {};
  if (!Array.isArray(set)) return { ...set };
  const out: Record<string, unknown> = {};
  for (const s of set) {
    const m = /^([^.=\s]+\.[^=\s]+)=(.*)$/s.exec(s);
    if (!m) throw new BackendConfigError(`--set must look like NODE.input=value (e.g. 3.seed=42 or 6.text="a cat"), got ${JSON.stringify(s)}`);
    let v: unknown = m[2];
    try {
      v = JSON.parse(m[2]);
    } catch {
      // a bare word is a string
    }
    out[m[1]] = v;
  }
  return out;
}

/** The backend to drive, or null for a plain command (`--backend command` or none). */
export function backendConfig(o: BackendOptions, baseDir: string): BackendConfig | null {
  const kind = (o.backend ?? 'command') as BackendKind;
  if (!['command', 'forge', 'comfyui'].includes(kind))
    throw new BackendConfigError(`backend must be command, forge or comfyui, got ${JSON.stringify(o.backend)}`);
  if (kind === 'command') return null;
  const url = o.url ?? DEFAULT_URL[kind];
  let u: URL;
  try {
    u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new BackendConfigError(`--url must be an http:// or https:// address, got ${JSON.stringify(makeRedactor({}).text(url))}`);
  }
  // Credentials in the URL would be recorded and printed (and fetch refuses them): they come from a file or the environment.
  if (u.username || u.password)
    throw new BackendConfigError(
      `--url must not carry credentials (${u.protocol}//${u.username ? `${u.username}:***@` : ''}${u.host}): give them as user:password in --api-auth-file FILE or the GENWATT_API_AUTH environment variable`,
    );
  const timeoutS = o.requestTimeoutSeconds ?? 1800;
  if (!(timeoutS > 0)) throw new BackendConfigError(`the request timeout must be a positive number of seconds, got ${timeoutS}`);
  if (!(timeoutS * 1000 <= 2 ** 31 - 1))
    throw new BackendConfigError(`the request timeout must be at most ${Math.floor((2 ** 31 - 1) / 1000)} seconds, got ${timeoutS}`);
  let auth;
  try {
    auth = loadApiAuth(o.apiAuthFile === undefined ? undefined : isAbsolute(o.apiAuthFile) ? o.apiAuthFile : resolve(baseDir, o.apiAuthFile));
  } catch (err) {
    if (err instanceof ApiAuthError) throw new BackendConfigError(err.message);
    throw err;
  }
  const c: BackendConfig = { kind, url, requests: posInt('requests', o.requests, 1), timeoutMs: timeoutS * 1000, auth };
  if (kind === 'forge') {
    if (!o.prompt) throw new BackendConfigError('the forge backend needs a prompt (--prompt "…")');
    const steps = posInt('steps', o.steps, 20);
    const width = posInt('width', o.width, 1024);
    const height = posInt('height', o.height, 1024);
    if (o.cfg !== undefined && !(o.cfg >= 0)) throw new BackendConfigError(`cfg must be 0 or more, got ${o.cfg}`);
    if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new BackendConfigError(`seed must be a whole number (-1: random), got ${o.seed}`);
    c.forge = {
      prompt: o.prompt,
      negativePrompt: o.negativePrompt ?? '',
      steps,
      width,
      height,
      cfgScale: o.cfg ?? 7,
      sampler: o.sampler ?? 'Euler',
      scheduler: o.scheduler ?? null,
      seed: o.seed ?? -1,
      batchSize: posInt('batch size', o.batchSize, 1),
      batchCount: posInt('batch count', o.batchCount, 1),
    };
  } else {
    if (!o.workflow) throw new BackendConfigError('the comfyui backend needs an API-format workflow (--workflow FILE.json)');
    c.workflow = isAbsolute(o.workflow) ? o.workflow : resolve(baseDir, o.workflow);
    c.overrides = parseOverrides(o.set);
    // Read and check now: a wrong file or node id is a usage error before anything runs.
    try {
      applyOverrides(loadWorkflow(c.workflow), c.overrides);
    } catch (err) {
      throw new BackendConfigError((err as Error).message);
    }
  }
  return c;
}

/** Images one run asks for (for --count when none is given). */
export function expectedImages(c: BackendConfig): number | null {
  return c.forge ? c.requests * c.forge.batchSize * c.forge.batchCount : null;
}
