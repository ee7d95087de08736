/**
 * ComfyUI: an API-format workflow (Export (API)) with `NODE.input` overrides, queued with
 * `POST /prompt` and a client id; progress, completion, errors and the files each prompt saved
 * follow the server's websocket (comfyui-socket.ts). Every run adds a random offset to every
 * sampler seed (recorded as the `seed-offset` tag; each request adds its number too), because an
 * identical graph is served from ComfyUI's cache and runs nothing; a request in which no node ran
 * stops the run with what was cached and why. Each request's saved files (the output nodes that ran,
 * else `/history/{id}` less the cached nodes) go to the session, which counts only those
 * (measure/attributed-images.ts). Stop and a request timeout = `POST /interrupt {prompt_id}`
 * (server.py post_interrupt interrupts only that prompt) and `POST /queue {delete: [id]}` for one
 * still queued. One prompt at a time, so each is measured alone.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChildExit } from '../session/types.js';
import type { BackendConfig, BackendHooks, BackendProgress, RunningBackend } from './backend-types.js';
import { doneExit, failedExit, plural, stoppedExit } from './backend-exit.js';
import { BackendError, oneLine, requestJson } from './http.js';
import { followPrompt, nodesText, openSocket, savedFiles, type SavedFile } from './comfyui-socket.js';

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

/** The files the history entry lists for the output nodes that ran (a cached node's entry holds its old files); null: no entry. */
async function historyFiles(base: string, auth: BackendConfig['auth'], id: string, cached: readonly string[]): Promise<SavedFile[] | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const hist = (
      await requestJson<Record<string, { outputs?: Record<string, { images?: unknown[] }> }>>(WHAT, `${base}/history/${encodeURIComponent(id)}`, {
        timeoutMs: 15000,
        auth,
      })
    ).body;
    const entry = hist?.[id];
    if (entry)
      return Object.entries(entry.outputs ?? {})
        .filter(([node]) => !cached.includes(node))
        .flatMap(([, o]) => savedFiles(o));
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** Why moving the seeds did not make the graph new: no seed at all, or seeds that come from other nodes. */
function seedHint(g: ComfyGraph): string {
  const linked: string[] = [];
  let numbers = 0;
  for (const [id, n] of Object.entries(g))
    for (const k of ['seed', 'noise_seed']) {
      const v = n.inputs?.[k];
      if (typeof v === 'number') numbers++;
      else if (Array.isArray(v)) linked.push(`node ${id}'s ${k} comes from node ${String(v[0])}`);
    }
  if (linked.length)
    return ` The seeds genwatt moves are numbers in the graph, but ${linked.join(', ')}: change that input (--set NODE.input=…) or clear the cache (POST /free)`;
  if (numbers) return ' The seeds did change, yet nothing ran: change an input (--set NODE.input=…) or clear the cache (POST /free)';
  return ' The workflow has no seed to change: change an input (--set NODE.input=…) or clear the cache (POST /free)';
}

/** Only our prompt: interrupted if it runs, taken off the queue if it waits. Resolves to what was done. */
async function cancelPrompt(base: string, auth: BackendConfig['auth'], id: string): Promise<string> {
  await Promise.all([
    requestJson(WHAT, `${base}/interrupt`, { body: { prompt_id: id }, timeoutMs: 5000, auth }),
    requestJson(WHAT, `${base}/queue`, { body: { delete: [id] }, timeoutMs: 5000, auth }),
  ]);
  // A running prompt answers with execution_interrupted; a queued one just disappears.
  const q = (await requestJson<{ queue_running?: unknown[][]; queue_pending?: unknown[][] }>(WHAT, `${base}/queue`, { timeoutMs: 5000, auth })).body;
  const running = (q?.queue_running ?? []).some((item) => Array.isArray(item) && item[1] === id);
  const pending = (q?.queue_pending ?? []).some((item) => Array.isArray(item) && item[1] === id);
  return running
    ? 'interrupted through /interrupt'
    : pending
      ? 'still queued after /queue delete'
      : 'stopped (/interrupt, and /queue delete for a queued prompt)';
}

/** What the server and the workflow say about the run (server.py `system_stats`). */
async function runTags(base: string, auth: BackendConfig['auth'], graph: ComfyGraph, offset: number): Promise<Record<string, string>> {
  const stats = (
    await requestJson<{
      system?: { comfyui_version?: string; pytorch_version?: string; python_version?: string };
      devices?: { name?: string; type?: string; vram_total?: number }[];
    }>(WHAT, `${base}/system_stats`, { timeoutMs: 15000, auth })
  ).body;
  const tags: Record<string, string> = { backend: 'comfyui', ...workflowFacts(graph), 'seed-offset': String(offset) };
  if (stats?.system?.comfyui_version) tags['backend-version'] = stats.system.comfyui_version;
  if (stats?.system?.pytorch_version) tags.pytorch = stats.system.pytorch_version;
  if (stats?.devices?.[0]?.name) tags['server-device'] = stats.devices[0].name;
  return tags;
}

/** Queues one prompt (server.py `post_prompt`): its id, and the outputs that failed validation (they will not run). A refused workflow throws. */
async function queuePrompt(base: string, auth: BackendConfig['auth'], graph: ComfyGraph, clientId: string): Promise<{ id: string; partial: string }> {
  const queued = await requestJson<{ prompt_id?: string; node_errors?: unknown; error?: unknown }>(WHAT, `${base}/prompt`, {
    body: { prompt: graph, client_id: clientId },
    timeoutMs: 30000,
    auth,
    accept: (st) => st === 400,
  });
  if (queued.status === 400) {
    const e = queued.body?.error as { message?: string; details?: string } | string | undefined;
    const head = typeof e === 'string' ? e : [e?.message, e?.details].filter(Boolean).join(': ');
    const nodes = nodeErrorsText(queued.body?.node_errors);
    throw new BackendError(oneLine(`${WHAT} refused the workflow: ${head || 'invalid prompt'}${nodes ? `: ${nodes}` : ''}`, 600), 'http');
  }
  const id = queued.body?.prompt_id;
  if (!id) throw new BackendError(`${WHAT} did not return a prompt_id for /prompt`, 'wrong-api');
  return { id, partial: nodeErrorsText(queued.body?.node_errors) };
}

/** A finished prompt that measured nothing: every node served from the cache, or a graph that saves no file. */
function nothingToMeasure(
  graph: ComfyGraph,
  outcome: { ran: number; cached: readonly string[] },
  files: SavedFile[] | null,
  saved: SavedFile[] | null,
  first: boolean,
): BackendError | null {
  if (outcome.ran === 0)
    return new BackendError(
      `${WHAT} served every node from its cache (${nodesText(graph, outcome.cached)}): nothing was generated, so there is nothing to measure.${seedHint(graph)}`,
      'server',
    );
  if (saved !== null && saved.length === 0 && first) {
    const outputs = (files ?? []).map((f) => f.type);
    return new BackendError(
      `${WHAT} ran the workflow but it saves no image file${outputs.length ? ` (its outputs are of type ${[...new Set(outputs)].join(', ')})` : ''}: genwatt measures the images that appear in --out. Add a SaveImage node`,
      'server',
    );
  }
  return null;
}

export function startComfyui(c: BackendConfig, hooks: BackendHooks): RunningBackend {
  const base = c.url.replace(/\/+$/, '');
  const clientId = randomUUID();
  /** Files our prompts saved; null once a count is unknown (no history entry). */
  let made: number | null = 0;
  let prog: BackendProgress | null = null;
  let stopped = false;
  let stoppedHow = '/interrupt';
  let current: string | undefined;
  let socket: import('ws').WebSocket | undefined;
  /** Ends the wait for a prompt taken off the queue by Stop (it sends no message at all). */
  let giveUp: (() => void) | undefined;
  const onStep = (value: number | null, max: number | undefined): void => {
    if (!prog) return;
    prog = { ...prog, step: value, steps: max ?? prog.steps };
    hooks.progress(prog);
  };

  const cancel = (id: string) => cancelPrompt(base, c.auth, id);

  const run = async (): Promise<ChildExit> => {
    try {
      const graph = applyOverrides(loadWorkflow(c.workflow!), c.overrides ?? {});
      const offset = runSeedOffset();
      const tags = await runTags(base, c.auth, graph, offset);
      hooks.tags(tags);
      const sock = await openSocket(`${base.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`, c.auth);
      socket = sock.ws;
      const steps = Number(tags.steps) || null;
      let saidPartial = false;
      for (let r = 0; r < c.requests && !stopped; r++) {
        prog = { request: r + 1, requests: c.requests, step: 0, steps };
        hooks.progress(prog);
        const g = bumpSeeds(graph, offset + r);
        const { id, partial } = await queuePrompt(base, c.auth, g, clientId);
        if (partial && !saidPartial) hooks.note(oneLine(`${WHAT} queued the workflow but some outputs failed validation and will not run: ${partial}`, 600));
        saidPartial ||= Boolean(partial);
        current = id;
        hooks.request?.({ index: r, phase: 'queued' });
        let outcome;
        try {
          outcome = await followPrompt(sock, id, g, c.timeoutMs, onStep, (f) => (giveUp = f));
        } catch (err) {
          // A request that timed out must not go on running on the server after genwatt has gone.
          if (!(err instanceof BackendError) || err.kind !== 'timeout') throw err;
          const how = await cancel(id).catch((e: unknown) => `could not be stopped (${(e as Error).message})`);
          throw new BackendError(`${err.message}: our prompt was ${how}`, 'timeout');
        } finally {
          current = undefined;
          giveUp = undefined;
        }
        if (!outcome.ok && outcome.dequeued) {
          stoppedHow = '/queue delete (it had not started)';
          break;
        }
        // What this prompt saved: the `executed` outputs of the nodes that ran, else its history entry's.
        let files: SavedFile[] | null = outcome.files;
        if (files.length === 0 && outcome.ok) files = await historyFiles(base, c.auth, id, outcome.cached);
        const saved = files?.filter((f) => f.type === 'output') ?? null;
        if (saved === null) {
          hooks.note(`${WHAT} has no history entry for prompt ${id}: its image count is unknown`);
          made = null;
        } else if (made !== null) made += saved.length;
        hooks.request?.({
          index: r,
          phase: 'done',
          files: saved === null ? null : saved.map((f) => (f.subfolder ? `${f.subfolder}/${f.filename}` : f.filename)),
        });
        if (!outcome.ok) {
          if (outcome.interrupted || stopped) break;
          throw new BackendError(outcome.message, 'server');
        }
        const useless = nothingToMeasure(graph, outcome, files, saved, r === 0);
        if (useless) throw useless;
      }
      return stopped
        ? stoppedExit(stoppedHow)
        : doneExit(`${WHAT}: ${made === null ? 'an unknown number of images' : plural(made, 'image')} in ${plural(c.requests, 'prompt')}`);
    } catch (err) {
      return stopped ? stoppedExit(stoppedHow) : failedExit(WHAT, err);
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
      cancel(id)
        .then((how) => {
          // Neither running nor queued any more: if no message comes for it, it was taken off the queue.
          if (how.startsWith('stopped')) setTimeout(() => current === id && giveUp?.(), 1000).unref();
        })
        .catch(() => socket?.terminate());
    },
    serverImages: () => made,
    progress: () => prog,
  };
}
