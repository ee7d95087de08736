/**
 * ComfyUI: an API-format workflow (Export (API)) with `NODE.input` overrides, queued with
 * `POST /prompt` and a client id; progress, completion and errors follow the server's websocket
 * (`ws://…/ws?clientId=`). Done is `executing` with `node: null` for our prompt: main.py
 * prompt_worker sends it after task_done has written the history entry (`execution_success` comes
 * before that), and `/history/{id}` is asked again briefly if the entry is not there yet. Every run
 * adds a random offset to every sampler seed (recorded as the `seed-offset` tag; each request adds
 * its number too), because an identical graph is served from ComfyUI's cache and runs nothing; if
 * the server still reports the sampler or the save node as cached (`execution_cached`), the run
 * stops with that message instead of measuring an idle GPU. Stop = `POST /interrupt {prompt_id}`
 * (server.py post_interrupt interrupts only that prompt) and `POST /queue {delete: [id]}` for one
 * still queued. One prompt at a time, so each is measured alone.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChildExit } from '../session/types.js';
import type { BackendConfig, BackendHooks, BackendProgress, RunningBackend } from './backend-types.js';
import { doneExit, failedExit, plural, stoppedExit } from './backend-exit.js';
import { BackendError, oneLine, requestJson, secondsText } from './http.js';

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
  if (g && typeof g === 'object' && Array.isArray((g as { nodes?: unknown }).nodes))
    throw new BackendError(`${file} is a ComfyUI UI workflow (nodes and links); genwatt needs the API format: in ComfyUI use Workflow → Export (API)`, 'usage');
  if (
    !g ||
    typeof g !== 'object' ||
    Array.isArray(g) ||
    !Object.values(g).every((n) => n && typeof n === 'object' && typeof (n as { class_type?: unknown }).class_type === 'string')
  )
    throw new BackendError(`${file} is not a ComfyUI API-format workflow (an object of nodes with class_type and inputs)`, 'usage');
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
    if (!node)
      throw new BackendError(
        `override ${key}: the workflow has no node ${id} (nodes: ${Object.entries(out)
          .map(([k, n]) => `${k} ${n.class_type}`)
          .join(', ')})`,
        'usage',
      );
    node.inputs ??= {};
    node.inputs[input] = value;
  }
  return out;
}

/** Seeds stay below 2^53 (exact in JSON numbers; ComfyUI accepts up to 2^64 - 1). */
const SEED_LIMIT = 2 ** 53;

/** Sampler seeds (`seed`, `noise_seed`) raised by `k` (so no request is a cache hit of another). */
export function bumpSeeds(g: ComfyGraph, k: number): ComfyGraph {
  if (k === 0) return g;
  const out = structuredClone(g);
  for (const n of Object.values(out))
    for (const key of ['seed', 'noise_seed']) {
      const v = n.inputs?.[key];
      // BigInt: past 2^53 a float sum would round before the wrap-around.
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n.inputs[key] = Number((BigInt(v) + BigInt(k)) % BigInt(SEED_LIMIT));
    }
  return out;
}

/** A random offset for this run's seeds (1 … 2^31 - 1). */
export function runSeedOffset(): number {
  return randomInt(1, 2 ** 31);
}

/** Nodes whose caching means nothing is generated: samplers and image savers. */
function isWorkNode(classType: string): boolean {
  return /Sampler|^Save/.test(classType);
}

interface NodeError {
  errors?: { type?: string; message?: string; details?: string }[];
  class_type?: string;
  dependent_outputs?: string[];
}

/** execution.py validate_prompt's node_errors, one clause per node: `node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: …`. */
export function nodeErrorsText(nodeErrors: unknown): string {
  if (!nodeErrors || typeof nodeErrors !== 'object' || Array.isArray(nodeErrors)) return '';
  return Object.entries(nodeErrors as Record<string, NodeError>)
    .map(
      ([id, e]) =>
        `node ${id} (${e?.class_type ?? '?'}): ${(e?.errors ?? []).map((x) => [x.message, x.details].filter(Boolean).join(': ')).join('; ') || 'invalid'}`,
    )
    .map((t) => oneLine(t, 300))
    .join('; ');
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
  data?: {
    prompt_id?: string;
    node?: string | null;
    nodes?: string[];
    value?: number;
    max?: number;
    exception_message?: string;
    exception_type?: string;
    node_id?: string;
    node_type?: string;
  };
}

type Outcome = { ok: true } | { ok: false; interrupted: boolean; message: string; dequeued?: boolean; cached?: boolean };

/** The websocket and what it says about each prompt. */
/** Messages kept for a prompt whose waiter is not listening yet (a cached prompt ends within the /prompt round trip). */
const BACKLOG = 512;

/** The websocket, its message listeners, the messages that came before a listener, and how it closed. */
interface Socket {
  ws: import('ws').WebSocket;
  listeners: Set<(m: WsMessage) => void>;
  backlog: WsMessage[];
  closed: () => Error | undefined;
  closeWaiters: Set<(e: Error) => void>;
}

async function openSocket(url: string, auth: BackendConfig['auth']): Promise<Socket> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(url, { headers: auth ? { authorization: auth.header } : {}, maxPayload: 64 * 1024 * 1024 });
  const listeners = new Set<(m: WsMessage) => void>();
  const backlog: WsMessage[] = [];
  let closed: Error | undefined;
  const closeWaiters = new Set<(e: Error) => void>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return; // preview frames (BinaryEventTypes)
    let m: WsMessage;
    try {
      m = JSON.parse(data.toString()) as WsMessage;
    } catch {
      return;
    }
    if (m.type !== 'progress' && m.type !== 'progress_state') {
      backlog.push(m);
      if (backlog.length > BACKLOG) backlog.shift();
    }
    for (const l of listeners) l(m);
  });
  ws.on('close', () => {
    closed = new BackendError(`${WHAT}'s websocket closed during the run (did the server stop?)`, 'server');
    for (const w of closeWaiters) w(closed);
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new BackendError(`${WHAT} at ${url}: websocket did not open within 15 s`, 'timeout')), 15000);
    ws.once('open', () => {
      clearTimeout(t);
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(t);
      const status = res.statusCode ?? 0;
      reject(
        new BackendError(
          status === 401 || status === 403
            ? auth
              ? `${WHAT} rejected the --api-auth credentials (HTTP ${status} on /ws)`
              : `${WHAT} wants --api-auth credentials (HTTP ${status} on /ws): give them as user:password in --api-auth-file FILE or the GENWATT_API_AUTH environment variable`
            : `${WHAT} websocket ${url}: HTTP ${status}`,
          status === 401 || status === 403 ? 'auth' : 'unreachable',
        ),
      );
    });
    ws.once('error', (err) => {
      clearTimeout(t);
      reject(new BackendError(`${WHAT} websocket ${url}: ${err.message}`, 'unreachable', { cause: err }));
    });
  });
  return { ws, listeners, backlog, closed: () => closed, closeWaiters };
}

/**
 * Waits for our prompt's end: `executing` null (history written), or an error / interrupt.
 * `step` gets the sampler's progress; `giveUp` receives the function that ends the wait for a prompt
 * Stop took off the queue (it sends no message at all).
 */
function followPrompt(
  sock: Socket,
  id: string,
  graph: ComfyGraph,
  timeoutMs: number,
  step: (value: number | null, max: number | undefined) => void,
  giveUp: (f: () => void) => void,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let success = false;
    const timer = setTimeout(
      () => done(() => reject(new BackendError(`${WHAT}: prompt ${id} did not finish within ${secondsText(timeoutMs)}`, 'timeout'))),
      timeoutMs,
    );
    const done = (f: () => void) => {
      clearTimeout(timer);
      sock.listeners.delete(on);
      sock.closeWaiters.delete(onClose);
      f();
    };
    const onClose = (e: Error) => done(() => reject(e));
    const on = (m: WsMessage) => {
      if (m.data?.prompt_id !== id) return;
      if (m.type === 'execution_cached') {
        // execution.py execute_async: one message with every node served from the cache.
        // samplers first, then savers, as they would run
        const work = (m.data.nodes ?? [])
          .filter((n) => graph[n] && isWorkNode(graph[n].class_type))
          .sort((a, b) => Number(/^Save/.test(graph[a].class_type)) - Number(/^Save/.test(graph[b].class_type)));
        if (work.length)
          done(() =>
            resolve({
              ok: false,
              interrupted: false,
              message: `${WHAT} served ${work.map((n) => `node ${n} (${graph[n].class_type})`).join(', ')} from its cache: nothing would be generated, so there is nothing to measure. The seeds did change; does a sampler take its seed from another node? Change an input (--set NODE.input=…) or clear the cache (Manager → Unload models / POST /free)`,
              cached: true,
            }),
          );
      } else if (m.type === 'progress') step(m.data.value ?? null, m.data.max);
      else if (m.type === 'execution_success') success = true;
      else if (m.type === 'executing' && m.data.node === null)
        done(() => resolve(success ? { ok: true } : { ok: false, interrupted: false, message: `${WHAT} ended prompt ${id} without success` }));
      else if (m.type === 'execution_error')
        done(() =>
          resolve({
            ok: false,
            interrupted: false,
            message: oneLine(
              `${WHAT}: node ${m.data?.node_id ?? '?'} (${m.data?.node_type ?? '?'}) failed: ${m.data?.exception_type ? `${m.data.exception_type}: ` : ''}${m.data?.exception_message ?? 'no message'}`,
              400,
            ),
          }),
        );
      else if (m.type === 'execution_interrupted') done(() => resolve({ ok: false, interrupted: true, message: 'interrupted' }));
    };
    giveUp(() => done(() => resolve({ ok: false, interrupted: true, message: 'removed from the queue', dequeued: true })));
    sock.listeners.add(on);
    // What already came for this prompt while /prompt was answering.
    for (const m of sock.backlog.filter((x) => x.data?.prompt_id === id)) if (sock.listeners.has(on)) on(m);
    const closed = sock.closed();
    if (closed) onClose(closed);
    else sock.closeWaiters.add(onClose);
  });
}

/** The files the history entry lists; the entry can lag `executing` null by a moment. */
async function historyImages(base: string, auth: BackendConfig['auth'], id: string, note: (m: string) => void): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const hist = (
      await requestJson<Record<string, { outputs?: Record<string, { images?: { type?: string }[] }> }>>(WHAT, `${base}/history/${encodeURIComponent(id)}`, {
        timeoutMs: 15000,
        auth,
      })
    ).body;
    const entry = hist?.[id];
    if (entry) return Object.values(entry.outputs ?? {}).reduce((a, o) => a + (o.images ?? []).filter((im) => (im.type ?? 'output') === 'output').length, 0);
    await new Promise((r) => setTimeout(r, 100));
  }
  note(`${WHAT} has no history entry for prompt ${id}: its image count is unknown`);
  return 0;
}

export function startComfyui(c: BackendConfig, hooks: BackendHooks): RunningBackend {
  const base = c.url.replace(/\/+$/, '');
  const clientId = randomUUID();
  let made = 0;
  let prog: BackendProgress | null = null;
  let stopped = false;
  let current: string | undefined;
  let socket: import('ws').WebSocket | undefined;
  /** Ends the wait for a prompt taken off the queue by Stop (it sends no message at all). */
  let giveUp: (() => void) | undefined;
  const onStep = (value: number | null, max: number | undefined): void => {
    if (!prog) return;
    prog = { ...prog, step: value, steps: max ?? prog.steps };
    hooks.progress(prog);
  };

  const run = async (): Promise<ChildExit> => {
    try {
      const graph = applyOverrides(loadWorkflow(c.workflow!), c.overrides ?? {});
      const stats = (
        await requestJson<{
          system?: { comfyui_version?: string; pytorch_version?: string; python_version?: string };
          devices?: { name?: string; type?: string; vram_total?: number }[];
        }>(WHAT, `${base}/system_stats`, { timeoutMs: 15000, auth: c.auth })
      ).body;
      const offset = runSeedOffset();
      const tags: Record<string, string> = { backend: 'comfyui', ...workflowFacts(graph), 'seed-offset': String(offset) };
      if (stats?.system?.comfyui_version) tags['backend-version'] = stats.system.comfyui_version;
      if (stats?.system?.pytorch_version) tags.pytorch = stats.system.pytorch_version;
      if (stats?.devices?.[0]?.name) tags['server-device'] = stats.devices[0].name;
      hooks.tags(tags);
      const sock = await openSocket(`${base.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`, c.auth);
      socket = sock.ws;
      const steps = Number(tags.steps) || null;
      for (let r = 0; r < c.requests && !stopped; r++) {
        prog = { request: r + 1, requests: c.requests, step: 0, steps };
        hooks.progress(prog);
        const g = bumpSeeds(graph, offset + r);
        const queued = await requestJson<{ prompt_id?: string; node_errors?: unknown; error?: unknown }>(WHAT, `${base}/prompt`, {
          body: { prompt: g, client_id: clientId },
          timeoutMs: 30000,
          auth: c.auth,
          accept: (st) => st === 400,
        });
        if (queued.status === 400) {
          const e = queued.body?.error as { message?: string; details?: string } | string | undefined;
          const head = typeof e === 'string' ? e : [e?.message, e?.details].filter(Boolean).join(': ');
          const nodes = nodeErrorsText(queued.body?.node_errors);
          throw new BackendError(oneLine(`${WHAT} refused the workflow: ${head || 'invalid prompt'}${nodes ? `: ${nodes}` : ''}`, 600), 'http');
        }
        const partial = nodeErrorsText(queued.body?.node_errors);
        if (partial) hooks.note(oneLine(`${WHAT} queued the workflow but some outputs failed validation and will not run: ${partial}`, 600));
        const id = queued.body?.prompt_id;
        if (!id) throw new BackendError(`${WHAT} did not return a prompt_id for /prompt`, 'wrong-api');
        current = id;
        const outcome = await followPrompt(sock, id, g, c.timeoutMs, onStep, (f) => (giveUp = f));
        current = undefined;
        giveUp = undefined;
        if (!outcome.ok && outcome.dequeued) break;
        // A cached run lists the previous run's files in its history: not this run's images.
        if (!outcome.ok && outcome.cached) throw new BackendError(outcome.message, 'server');
        made += await historyImages(base, c.auth, id, hooks.note);
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
      const id = current;
      if (!id) return;
      // Only our prompt: interrupted if it runs, taken off the queue if it waits.
      void Promise.all([
        requestJson(WHAT, `${base}/interrupt`, { body: { prompt_id: id }, timeoutMs: 5000, auth: c.auth }),
        requestJson(WHAT, `${base}/queue`, { body: { delete: [id] }, timeoutMs: 5000, auth: c.auth }),
      ])
        .then(async () => {
          // A running prompt answers with execution_interrupted; a queued one just disappears.
          const q = (await requestJson<{ queue_running?: unknown[][]; queue_pending?: unknown[][] }>(WHAT, `${base}/queue`, { timeoutMs: 5000, auth: c.auth }))
            .body;
          const listed = [...(q?.queue_running ?? []), ...(q?.queue_pending ?? [])].some((item) => Array.isArray(item) && item[1] === id);
          if (!listed && current === id) setTimeout(() => current === id && giveUp?.(), 1000).unref();
        })
        .catch(() => socket?.terminate());
    },
    serverImages: () => made,
    progress: () => prog,
  };
}
