/**
 * A local stand-in for ComfyUI's server. Each behaviour names the real code it follows in
 * Comfy-Org/ComfyUI: server.py (routes), execution.py (PromptExecutor.execute_async, validate_prompt),
 * main.py (prompt_worker), nodes.py (SaveImage), folder_paths.py (get_save_image_path).
 * ComfyUI has no authentication of its own; `proxyAuth` stands for a reverse proxy that asks for
 * HTTP Basic (nginx's plain 401), on the HTTP routes and the websocket upgrade alike.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { pngFile } from '../../../fixtures/png-writer.mjs';
import { closeServer, listenLoopback, readBody, sendJson, simPhase, sleep } from './server-util.js';

export interface FakeComfyOptions {
  outDir: string;
  stepMs?: number;
  loadMs?: number;
  simActivityFile?: string;
  pixels?: number;
  /** `user:password` a reverse proxy in front asks for. */
  proxyAuth?: string;
  /** Time between execution_success and the history entry (task_done) + `executing` null. */
  historyLagMs?: number;
  /** Model files the loaders accept (folder_paths.get_filename_list). */
  models?: string[];
}

const KNOWN = new Set([
  'CheckpointLoaderSimple',
  'UNETLoader',
  'CLIPLoader',
  'VAELoader',
  'CLIPTextEncode',
  'EmptyLatentImage',
  'EmptySD3LatentImage',
  'KSampler',
  'KSamplerAdvanced',
  'VAEDecode',
  'SaveImage',
  'ModelSamplingAuraFlow',
  'ConditioningZeroOut',
  'PrimitiveInt',
]);
const OUTPUT = new Set(['SaveImage']);

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;
const isLink = (v: unknown): v is [string, number] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string';

export interface FakeComfy {
  url: string;
  server: Server;
  prompts: { id: string; prompt: Graph; clientId: string }[];
  /** Bodies of POST /interrupt and POST /queue, in order. */
  interrupts: unknown[];
  queueOps: unknown[];
  close(): Promise<void>;
}

export async function startFakeComfy(o: FakeComfyOptions): Promise<FakeComfy> {
  const stepMs = o.stepMs ?? 20;
  const models = o.models ?? ['sd_xl_base_1.0.safetensors', 'z_image_turbo_bf16.safetensors', 'qwen_3_4b.safetensors', 'ae.safetensors'];
  const clients = new Map<string, WebSocket>();
  const history = new Map<string, unknown>();
  // execution.py CacheSet outputs: a node whose input signature (its inputs and its inputs' signatures) was run before is cached
  const cache = new Map<string, { images?: { filename: string; subfolder: string; type: string }[] }>();
  let number = 0;
  const pending: { number: number; id: string; graph: Graph; clientId: string; outputs: string[] }[] = [];
  let running: { number: number; id: string; graph: Graph; clientId: string; outputs: string[] } | null = null;
  let interruptFlag = false;
  let loaded = false;
  const fake: FakeComfy = { url: '', server: undefined as unknown as Server, prompts: [], interrupts: [], queueOps: [], close: async () => undefined };
  mkdirSync(o.outDir, { recursive: true });
  const send = (clientId: string, type: string, data: unknown) => {
    const ws = clients.get(clientId);
    if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type, data }));
  };
  /** server.py send_image: binary frames (event type 1 = PREVIEW_IMAGE, 4-byte big-endian, then image type and bytes). */
  const sendPreview = (clientId: string) => {
    const ws = clients.get(clientId);
    if (ws && ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), pngFile(8, 8, [], 7) as Buffer]), { binary: true });
  };
  /** folder_paths.get_save_image_path: counter = highest `prefix_NNNNN_` + 1. */
  const nextName = () => {
    const nums = readdirSync(o.outDir)
      .map((f) => /^ComfyUI_(\d{5})_\.png$/.exec(f)?.[1])
      .filter(Boolean)
      .map(Number);
    return `ComfyUI_${String((nums.length ? Math.max(...nums) : 0) + 1).padStart(5, '0')}_.png`;
  };
  const signature = (g: Graph, id: string, seen = new Set<string>()): string => {
    if (seen.has(id)) return id;
    seen.add(id);
    const n = g[id];
    return JSON.stringify([n.class_type, Object.entries(n.inputs ?? {}).map(([k, v]) => [k, isLink(v) ? signature(g, v[0], seen) : v])]);
  };

  async function execute(item: NonNullable<typeof running>): Promise<void> {
    const { id, graph, clientId } = item;
    const messages: [string, unknown][] = [];
    // PromptExecutor.add_message: status messages are kept for the history entry and sent to the client
    const emit = (type: string, data: Record<string, unknown>) => {
      const d = { ...data, timestamp: Date.now() };
      messages.push([type, d]);
      send(clientId, type, d);
    };
    const outputs: Record<string, unknown> = {};
    let ok = true;
    interruptFlag = false;
    emit('execution_start', { prompt_id: id });
    // execution.py: only the outputs that passed validation, and what they need, are executed
    const needed = new Set<string>();
    const need = (id: string) => {
      if (needed.has(id) || !graph[id]) return;
      needed.add(id);
      for (const v of Object.values(graph[id].inputs ?? {})) if (isLink(v)) need(v[0]);
    };
    item.outputs.forEach(need);
    const ids = Object.keys(graph).filter((k) => needed.has(k));
    const sigs = Object.fromEntries(ids.map((k) => [k, signature(graph, k)]));
    const cached = ids.filter((k) => cache.has(sigs[k]));
    emit('execution_cached', { nodes: cached, prompt_id: id });
    const nodeStates: Record<string, { value: number; max: number; state: string; node_id: string; prompt_id: string }> = {};
    try {
      const order = [
        ...ids.filter((k) => !OUTPUT.has(graph[k].class_type) && !/Sampler|Decode/.test(graph[k].class_type)),
        ...ids.filter((k) => /Sampler/.test(graph[k].class_type)),
        ...ids.filter((k) => /Decode/.test(graph[k].class_type)),
        ...ids.filter((k) => OUTPUT.has(graph[k].class_type)),
      ];
      for (const nid of order) {
        const n = graph[nid];
        if (cached.includes(nid)) {
          // execution.py execute(): a cached output node still sends `executed` with its cached ui (the old files)
          const ui = cache.get(sigs[nid]);
          if (OUTPUT.has(n.class_type) && ui?.images) {
            outputs[nid] = { images: ui.images };
            send(clientId, 'executed', { node: nid, display_node: nid, output: { images: ui.images }, prompt_id: id });
          }
          continue;
        }
        // execution.py execute(): an interrupt is checked as each node starts, not only in sampler steps
        if (interruptFlag) throw Object.assign(new Error('interrupted'), { interrupted: true, nodeId: nid, nodeType: n.class_type });
        // comfy_execution/progress.py WebUIProgressHandler: `progress_state` on every node state change
        nodeStates[nid] = { value: 0, max: 1, state: 'running', node_id: nid, prompt_id: id };
        send(clientId, 'progress_state', { prompt_id: id, nodes: { ...nodeStates } });
        send(clientId, 'executing', { node: nid, display_node: nid, prompt_id: id });
        if (/Loader/.test(n.class_type) && !loaded) {
          simPhase(o.simActivityFile, 'load', false);
          await sleep(o.loadMs ?? 100);
          loaded = true;
        }
        if (n.class_type === 'CLIPTextEncode' && String(n.inputs.text ?? '').includes('!error')) {
          throw Object.assign(new Error('Error while deserializing header: HeaderTooLarge'), {
            nodeId: nid,
            nodeType: n.class_type,
            type: 'safetensors_rust.SafetensorError',
          });
        }
        if (/Sampler/.test(n.class_type)) {
          const steps = Number(n.inputs.steps ?? 20);
          simPhase(o.simActivityFile, 'compute', true);
          for (let s = 1; s <= steps; s++) {
            await sleep(stepMs);
            // comfy.model_management.throw_exception_if_processing_interrupted, checked in the progress hook
            if (interruptFlag) throw Object.assign(new Error('interrupted'), { interrupted: true, nodeId: nid, nodeType: n.class_type });
            // main.py hijack_progress: `progress`, then the preview as a binary frame; comfy_execution/progress.py: `progress_state`
            send(clientId, 'progress', { value: s, max: steps, prompt_id: id, node: nid });
            send(clientId, 'progress_state', { prompt_id: id, nodes: { [nid]: { value: s, max: steps, state: 'running', node_id: nid, prompt_id: id } } });
            sendPreview(clientId);
          }
        }
        if (n.class_type === 'SaveImage') {
          simPhase(o.simActivityFile, 'save', true);
          const latent = Object.values(graph).find((x) => /^Empty.*LatentImage$/.test(x.class_type));
          const batch = Number(latent?.inputs.batch_size ?? 1);
          const images = [];
          for (let b = 0; b < batch; b++) {
            const filename = nextName();
            // nodes.py SaveImage.save_images: `prompt` always; `workflow` only from extra_pnginfo, which API clients do not send
            const data = pngFile(o.pixels ?? 64, o.pixels ?? 64, [['prompt', JSON.stringify(graph)]], number + b) as Buffer;
            // PIL's img.save writes the final name in place (not atomic): the first part lands, then the rest
            const file = join(o.outDir, filename);
            writeFileSync(file, data.subarray(0, data.length >> 1));
            await sleep(30);
            appendFileSync(file, data.subarray(data.length >> 1));
            images.push({ filename, subfolder: '', type: 'output' });
          }
          outputs[nid] = { images };
          cache.set(sigs[nid], { images });
          send(clientId, 'executed', { node: nid, display_node: nid, output: { images }, prompt_id: id });
        } else cache.set(sigs[nid], {});
        nodeStates[nid] = { value: 1, max: 1, state: 'finished', node_id: nid, prompt_id: id };
        send(clientId, 'progress_state', { prompt_id: id, nodes: { ...nodeStates } });
      }
      emit('execution_success', { prompt_id: id });
      // comfy_execution/caching.py BasicCache.clean_unused (called from execution.py execute_async):
      // only this prompt's nodes stay cached, so any other prompt evicts the ones it does not share.
      const keep = new Set(Object.values(sigs));
      for (const k of [...cache.keys()]) if (!keep.has(k)) cache.delete(k);
    } catch (err) {
      ok = false;
      const e = err as Error & { nodeId?: string; nodeType?: string; type?: string; interrupted?: boolean };
      // PromptExecutor.handle_execution_error
      if (e.interrupted) emit('execution_interrupted', { prompt_id: id, node_id: e.nodeId, node_type: e.nodeType, executed: [] });
      else
        emit('execution_error', {
          prompt_id: id,
          node_id: e.nodeId,
          node_type: e.nodeType,
          executed: [],
          exception_message: e.message,
          exception_type: e.type ?? 'Exception',
          traceback: ['  File "execution.py", line 316, in execute\n'],
          current_inputs: {},
          current_outputs: [],
        });
    }
    simPhase(o.simActivityFile, 'idle', true);
    // main.py prompt_worker: e.execute(...) returns, then q.task_done writes the history, then `executing` null
    await sleep(o.historyLagMs ?? 60);
    history.set(id, {
      prompt: [item.number, id, graph, { client_id: clientId }, item.outputs],
      outputs,
      status: { status_str: ok ? 'success' : 'error', completed: ok, messages },
      meta: {},
    });
    send(clientId, 'executing', { node: null, prompt_id: id });
  }

  /** server.py PromptServer.queue_updated: `status` with the queue, sent with sid None, i.e. to every client. */
  const broadcastStatus = () => {
    const data = JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: pending.length + (running ? 1 : 0) } } } });
    for (const ws of clients.values()) if (ws.readyState === ws.OPEN) ws.send(data);
  };

  async function worker(): Promise<void> {
    while (!running && pending.length) {
      running = pending.shift()!;
      broadcastStatus();
      try {
        await execute(running);
      } finally {
        running = null;
        broadcastStatus();
      }
    }
  }

  /** execution.py validate_prompt / validate_inputs: a loader's file must be in its list; an output with a bad input fails alone. */
  function validate(g: Graph): { ok: boolean; error?: unknown; nodeErrors: Record<string, unknown>; outputs: string[] } {
    for (const [nid, n] of Object.entries(g)) {
      if (!n || !KNOWN.has(n.class_type))
        return {
          ok: false,
          error: {
            type: 'invalid_prompt',
            message: `Cannot execute because node ${n?.class_type} does not exist.`,
            details: `Node ID '#${nid}'`,
            extra_info: {},
          },
          nodeErrors: {},
          outputs: [],
        };
    }
    const outs = Object.keys(g).filter((k) => OUTPUT.has(g[k].class_type));
    if (!outs.length)
      return { ok: false, error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, nodeErrors: {}, outputs: [] };
    const nodeErrors: Record<string, { errors: unknown[]; dependent_outputs: string[]; class_type: string }> = {};
    const good: string[] = [];
    for (const out of outs) {
      let bad = false;
      const visit = (id: string, seen: Set<string>) => {
        if (seen.has(id)) return;
        seen.add(id);
        const n = g[id];
        for (const [k, v] of Object.entries(n.inputs ?? {})) {
          if (isLink(v)) visit(v[0], seen);
          else if (/_name$/.test(k) && /Loader/.test(n.class_type) && !models.includes(String(v))) {
            bad = true;
            nodeErrors[id] ??= {
              errors: [
                {
                  type: 'value_not_in_list',
                  message: 'Value not in list',
                  details: `${k}: '${String(v)}' not in ${JSON.stringify(models)}`,
                  extra_info: { input_name: k, received_value: v },
                },
              ],
              dependent_outputs: [],
              class_type: n.class_type,
            };
            if (!nodeErrors[id].dependent_outputs.includes(out)) nodeErrors[id].dependent_outputs.push(out);
          }
        }
      };
      visit(out, new Set());
      if (!bad) good.push(out);
    }
    if (!good.length)
      return {
        ok: false,
        error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
        nodeErrors,
        outputs: [],
      };
    return { ok: true, nodeErrors, outputs: good };
  }

  const proxyDenied = (req: IncomingMessage) =>
    Boolean(o.proxyAuth) && req.headers.authorization !== `Basic ${Buffer.from(o.proxyAuth ?? '').toString('base64')}`;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (proxyDenied(req)) {
      res.writeHead(401, { 'content-type': 'text/html', 'www-authenticate': 'Basic realm="ComfyUI"' });
      return res.end(
        '<html><head><title>401 Authorization Required</title></head><body><center><h1>401 Authorization Required</h1></center><hr><center>nginx</center></body></html>',
      );
    }
    if (req.method === 'GET' && url.pathname === '/system_stats') {
      return sendJson(res, 200, {
        system: {
          os: 'posix',
          ram_total: 32e9,
          ram_free: 20e9,
          comfyui_version: '0.3.75',
          python_version: '3.12.3',
          pytorch_version: '2.7.1+cu128',
          embedded_python: false,
          argv: ['main.py', '--listen'],
        },
        devices: [
          {
            name: 'cuda:0 NVIDIA GeForce RTX 3060 : cudaMallocAsync',
            type: 'cuda',
            index: 0,
            vram_total: 12e9,
            vram_free: 11e9,
            torch_vram_total: 0,
            torch_vram_free: 0,
          },
        ],
      });
    }
    if (req.method === 'POST' && url.pathname === '/free') {
      // server.py post_free: `free_memory` makes main.py prompt_worker reset the executor (and its caches)
      cache.clear();
      res.writeHead(200);
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/interrupt') {
      // server.py post_interrupt: with a prompt_id, only if that prompt is the running one; else global
      let body: { prompt_id?: string } = {};
      try {
        body = JSON.parse((await readBody(req)) || '{}');
      } catch {
        body = {};
      }
      fake.interrupts.push(body);
      if (!body.prompt_id || running?.id === body.prompt_id) interruptFlag = true;
      res.writeHead(200);
      return res.end();
    }
    if (url.pathname === '/queue') {
      if (req.method === 'GET')
        return sendJson(res, 200, {
          queue_running: running ? [[running.number, running.id, running.graph, { client_id: running.clientId }, running.outputs]] : [],
          queue_pending: pending.map((p) => [p.number, p.id, p.graph, { client_id: p.clientId }, p.outputs]),
        });
      // server.py post_queue: {delete: [prompt_id]} removes pending items
      const body = JSON.parse((await readBody(req)) || '{}') as { delete?: string[]; clear?: boolean };
      fake.queueOps.push(body);
      for (const id of body.delete ?? []) {
        const i = pending.findIndex((p) => p.id === id);
        if (i >= 0) pending.splice(i, 1);
      }
      if (body.clear) pending.length = 0;
      res.writeHead(200);
      return res.end();
    }
    if (req.method === 'GET' && url.pathname.startsWith('/history/')) {
      const id = decodeURIComponent(url.pathname.slice('/history/'.length));
      return sendJson(res, 200, history.has(id) ? { [id]: history.get(id) } : {});
    }
    if (req.method === 'POST' && url.pathname === '/prompt') {
      let body: { prompt?: Graph; client_id?: string };
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: { type: 'invalid_prompt', message: 'Invalid JSON', details: '', extra_info: {} }, node_errors: {} });
      }
      const g = body.prompt;
      if (!g || typeof g !== 'object')
        return sendJson(res, 400, {
          error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} },
          node_errors: {},
        });
      const v = validate(g);
      // server.py post_prompt: 400 {error, node_errors}; 200 {prompt_id, number, node_errors} (node_errors may list outputs that will not run)
      if (!v.ok) return sendJson(res, 400, { error: v.error, node_errors: v.nodeErrors });
      const id = randomUUID();
      const clientId = body.client_id ?? '';
      fake.prompts.push({ id, prompt: g, clientId });
      const n = number++;
      pending.push({ number: n, id, graph: g, clientId, outputs: v.outputs });
      broadcastStatus();
      // A fake that breaks says so in the test's output (the test then fails on what never came).
      worker().catch((err: unknown) => console.error('fake ComfyUI: worker failed', err));
      return sendJson(res, 200, { prompt_id: id, number: n, node_errors: v.nodeErrors });
    }
    // aiohttp's own 404: plain text
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404: Not Found');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (proxyDenied(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="ComfyUI"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (url.pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') ?? randomUUID().replace(/-/g, '');
      clients.set(sid, ws);
      ws.on('close', () => clients.delete(sid));
      // server.py websocket_handler: `status` with the queue on connect
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: pending.length + (running ? 1 : 0) } }, sid } }));
    });
  });
  fake.server = server;
  fake.url = await listenLoopback(server);
  fake.close = () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    return closeServer(server);
  };
  return fake;
}
