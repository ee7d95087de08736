/** What `genwatt run` drives: a command line (the default) or a generation server's HTTP API. */
import type { ChildExit } from '../session/types.js';
import type { ApiAuth } from './api-auth.js';

export type BackendKind = 'command' | 'forge' | 'comfyui';

/** Generation settings for Forge/A1111 (sent explicitly: the API's own defaults are 512² and 50 steps). */
export interface ForgeSettings {
  prompt: string;
  negativePrompt: string;
  steps: number;
  width: number;
  height: number;
  cfgScale: number;
  sampler: string;
  scheduler: string | null;
  /** -1 = random. */
  seed: number;
  batchSize: number;
  /** Batches per request (A1111 `n_iter`). */
  batchCount: number;
}

export interface BackendConfig {
  kind: BackendKind;
  url: string;
  /** Generation requests made one after the other. */
  requests: number;
  /** No answer for this long is a timeout, ms (a txt2img call may run for minutes: default 30 min). */
  timeoutMs: number;
  /** HTTP Basic credentials (--api-auth-file / GENWATT_API_AUTH); never recorded. */
  auth?: ApiAuth | null;
  forge?: ForgeSettings;
  /** ComfyUI: the API-format workflow file and `NODE.input` overrides. */
  workflow?: string;
  overrides?: Record<string, unknown>;
}

/** Progress of the current request, for the dashboard (step x of y). */
export interface BackendProgress {
  request: number;
  requests: number;
  step: number | null;
  steps: number | null;
}

/** A running server-backed generation, shaped like a child process for the measured session. */
export interface RunningBackend {
  pid: undefined;
  done: Promise<ChildExit>;
  stop(): void;
  /** Images the server says it saved so far; null when it cannot say (a stopped Forge batch). */
  serverImages(): number | null;
  progress(): BackendProgress | null;
}

/** Servers that name the files each request saved (ComfyUI): an image counts once a request names it, and each request's images are one batch. */
export const namesItsFiles = (kind: BackendKind | undefined): boolean => kind === 'comfyui';

/** A request's progress through the server: queued, then done with the files it saved (relative to the server's output folder; null: unknown). */
export type RequestEvent = { index: number; phase: 'queued' } | { index: number; phase: 'done'; files: string[] | null };

export interface BackendHooks {
  /** Facts to record with the run (model, flags, versions, server memory): merged into the run's tags. */
  tags(tags: Record<string, string>): void;
  note(message: string): void;
  progress(p: BackendProgress): void;
  request?(r: RequestEvent): void;
}
