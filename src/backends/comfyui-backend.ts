/**
 * ComfyUI: an API-format workflow (Save (API Format)) with `NODE.input` overrides, queued with
 * `POST /prompt` and a client id; progress, completion and errors follow the server's websocket
 * (`ws://…/ws?clientId=`: `execution_start`, `progress`, `executing` with `node: null` = done,
 * `execution_success`, `execution_error`, `execution_interrupted`); `GET /history/{id}` says which
 * files it wrote; Stop = `POST /interrupt`. One prompt at a time, so each is measured alone. A
 * repeated identical prompt would be served from ComfyUI's cache (nothing generated), so every
 * request after the first gets its sampler seeds raised by the request number.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChildExit } from '../session/types.js';
import type { BackendConfig, BackendHooks, BackendProgress, RunningBackend } from './backend-types.js';
import { doneExit, failedExit, plural, stoppedExit } from './backend-exit.js';
import { BackendError, requestJson, secondsText } from './http.js';

const WHAT = 'ComfyUI';

export type ComfyGraph = Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: unknown }>;

/** Reads an API-format workflow; a UI-format file (nodes/links) is refused with what to do instead. */
export function loadWorkflow(file: string): ComfyGraph {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BackendError(`cannot read the workflow ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'usage');
  }
  let g: unknown;
  try {
    g = JSON.parse(text);
  } catch (err) {
    throw new BackendError(`the workflow ${file} is not JSON (${(err as Error).message})`, 'usage');
  }
  if (g && typeof g === 'object' && Array.isArray((g as { nodes?: unknown }).nodes)) throw new BackendError(`${file} is a ComfyUI UI workflow (nodes and links); genwatt needs the API format: in ComfyUI use Workflow → Export (API)`, 'usage');
  if (!g || typeof g !== 'object' || Array.isArray(g) || !Object.values(g).every((n) => n && typeof n === 'object' && typeof (n as { class_type?: unknown }).class_type === 'string')) throw new BackendError(`${file} is not a ComfyUI API-format workflow (an object of nodes with class_type and inputs)`, 'usage');
  return g as ComfyGraph;
}

/** Applies `NODE.input` overrides (a copy); an unknown node is a usage error naming the nodes there are. */
export function applyOverrides(g: ComfyGraph, overrides: Record<string, unknown>): ComfyGraph {
  const out = structuredClone(g);
  for (const [key, value] of Object.entries(overrides)) {
    const dot = key.indexOf('.');
    const id = key.slice(0, dot);
    const input = key.slice(dot + 1);
    if (dot <= 0 || !input) throw new BackendError(`override ${JSON.stringify(key)} must be NODE.input, e.g. 3.seed=42`, 'usage');
    const node = out[id];
    if (!node) throw new BackendError(`override ${key}: the workflow has no node ${id} (nodes: ${Object.entries(out).map(([k, n]) => `${k} ${n.class_type}`).join(', ')})`, 'usage');
    node.inputs ??= {};
    node.inputs[input] = value;
  }
  return out;
}

/** Sampler seeds raised by `k` (so request k is not a cache hit of request 0). */
export function bumpSeeds(g: ComfyGraph, k: number): ComfyGraph {
  if (k === 0) return g;
  const out = structuredClone(g);
  for (const n of Object.values(out)) for (const key of ['seed', 'noise_seed']) if (typeof n.inputs?.[key] === 'number') n.inputs[key] = (n.inputs[key] as number) + k;
  return out;
}

/** Steps and size the workflow asks for (for tags and progress). */
function workflowFacts(g: ComfyGraph): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const n of Object.values(g)) {
    const i = n.inputs ?? {};
    if (/Sampler/.test(n.class_type) && typeof i.steps === 'number') tags.steps ??= String(i.steps);
    if (/Sampler/.test(n.class_type) && typeof i.sampler_name === 'string') tags.sampler ??= i.sampler_name;
    if (/^Empty.*LatentImage$/.test(n.class_type) && typeof i.width === 'number' && typeof i.height === 'number') tags.size ??= `${i.width}x${i.height}`;
    for (const k of ['ckpt_name', 'unet_name']) if (typeof i[k] === 'string') tags.model ??= (i[k] as string).replace(/\.(safetensors|ckpt|gguf)$/i, '');
    if (typeof i.weight_dtype === 'string' && i.weight_dtype !== 'default') tags.precision ??= i.weight_dtype;
  }
  return tags;
}

interface WsMessage {
  type: string;
  data?: { prompt_id?: string; node?: string | null; value?: number; max?: number; exception_message?: string; exception_type?: string; node_id?: string; node_type?: string };
}

export function startComfyui(c: BackendConfig, hooks: BackendHooks): RunningBackend {
  const base = c.url.replace(/\/+$/, '');
  const clientId = randomUUID();
  let made = 0;
  let prog: BackendProgress | null = null;
  let stopped = false;
  let socket: import('ws').WebSocket | undefined;

  const run = async (): Promise<ChildExit> => {
    try {
      const graph = applyOverrides(loadWorkflow(c.workflow!), c.overrides ?? {});
      const stats = (await requestJson<{ system?: { comfyui_version?: string; pytorch_version?: string; python_version?: string }; devices?: { name?: string; type?: string; vram_total?: number }[] }>(WHAT, `${base}/system_stats`, { timeoutMs: 15000 })).body;
      const tags: Record<string, string> = { backend: 'comfyui', ...workflowFacts(graph) };
      if (stats?.system?.comfyui_version) tags['backend-version'] = stats.system.comfyui_version;
      if (stats?.system?.pytorch_version) tags.pytorch = stats.system.pytorch_version;
      if (stats?.devices?.[0]?.name) tags['server-device'] = stats.devices[0].name;
      hooks.tags(tags);
      const { WebSocket } = await import('ws');
      const wsUrl = `${base.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`;
      const ws = new WebSocket(wsUrl);
      socket = ws;
      const listeners = new Set<(m: WsMessage) => void>();
      let closed: Error | undefined;
      const closeWaiters = new Set<(e: Error) => void>();
      ws.on('message', (data, isBinary) => {
        if (isBinary) return; // preview images
        let m: WsMessage;
        try {
          m = JSON.parse(data.toString()) as WsMessage;
        } catch {
          return;
        }
        for (const l of listeners) l(m);
      });
      ws.on('close', () => {
        closed = new BackendError(`${WHAT}'s websocket closed during the run (did the server stop?)`, 'server');
        for (const w of closeWaiters) w(closed);
      });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new BackendError(`${WHAT} at ${wsUrl}: websocket did not open within 15 s`, 'timeout')), 15000);
        ws.once('open', () => {
          clearTimeout(t);
          resolve();
        });
        ws.once('error', (err) => {
          clearTimeout(t);
          reject(new BackendError(`${WHAT} websocket ${wsUrl}: ${err.message}`, 'unreachable', { cause: err }));
        });
      });
      const steps = Number(tags.steps) || null;
      for (let r = 0; r < c.requests && !stopped; r++) {
        prog = { request: r + 1, requests: c.requests, step: 0, steps };
        hooks.progress(prog);
        const queued = await requestJson<{ prompt_id?: string; node_errors?: Record<string, unknown> }>(WHAT, `${base}/prompt`, { body: { prompt: bumpSeeds(graph, r), client_id: clientId }, timeoutMs: 30000 });
        const id = queued.body?.prompt_id;
        if (!id) throw new BackendError(`${WHAT} did not return a prompt_id for /prompt`, 'wrong-api');
        const outcome = await new Promise<{ ok: true } | { ok: false; interrupted: boolean; message: string }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new BackendError(`${WHAT}: prompt ${id} did not finish within ${secondsText(c.timeoutMs)}`, 'timeout')), c.timeoutMs);
          const finish = (v: { ok: true } | { ok: false; interrupted: boolean; message: string }) => {
            clearTimeout(timer);
            listeners.delete(on);
            closeWaiters.delete(onClose);
            resolve(v);
          };
          const onClose = (e: Error) => {
            clearTimeout(timer);
            listeners.delete(on);
            reject(e);
          };
          const on = (m: WsMessage) => {
            if (m.data?.prompt_id !== undefined && m.data.prompt_id !== id) return;
            if (m.type === 'progress' && prog) {
              prog = { ...prog, step: m.data?.value ?? null, steps: m.data?.max ?? prog.steps };
              hooks.progress(prog);
            } else if ((m.type === 'executing' && m.data?.node === null) || m.type === 'execution_success') finish({ ok: true });
            else if (m.type === 'execution_error') finish({ ok: false, interrupted: false, message: `${WHAT}: node ${m.data?.node_id ?? '?'} (${m.data?.node_type ?? '?'}) failed: ${m.data?.exception_type ? `${m.data.exception_type}: ` : ''}${m.data?.exception_message ?? 'no message'}` });
            else if (m.type === 'execution_interrupted') finish({ ok: false, interrupted: true, message: 'interrupted' });
          };
          listeners.add(on);
          if (closed) onClose(closed);
          else closeWaiters.add(onClose);
        });
        const hist = (await requestJson<Record<string, { outputs?: Record<string, { images?: { type?: string }[] }> }>>(WHAT, `${base}/history/${encodeURIComponent(id)}`, { timeoutMs: 15000 })).body;
        for (const o of Object.values(hist?.[id]?.outputs ?? {})) made += (o.images ?? []).filter((im) => (im.type ?? 'output') === 'output').length;
        if (!outcome.ok) {
          if (outcome.interrupted || stopped) break;
          throw new BackendError(outcome.message, 'server');
        }
      }
      return stopped ? stoppedExit('/interrupt') : doneExit(`${WHAT}: ${plural(made, 'image')} in ${plural(c.requests, 'prompt')}`);
    } catch (err) {
      return stopped ? stoppedExit('/interrupt') : failedExit(WHAT, err);
    } finally {
      socket?.close();
    }
  };
  const done = run();
  return {
    pid: undefined,
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      void requestJson(WHAT, `${base}/interrupt`, { body: {}, timeoutMs: 5000 }).catch(() => socket?.terminate());
    },
    serverImages: () => made,
    progress: () => prog,
  };
}
