/**
 * A local stand-in for ComfyUI's server, built from its server.py, execution.py and main.py. What it
 * reproduces:
 * - POST /prompt {prompt, client_id}: validation as validate_prompt (an unknown class_type or a graph
 *   without an output node: 400 {error: {type, message, details, extra_info}, node_errors}); else
 *   200 {prompt_id, number, node_errors: {}}; prompts run one at a time in queue order.
 * - The websocket /ws?clientId=…: `status` on connect; per prompt `execution_start`,
 *   `execution_cached`, `executing` {node} per node, `progress` {value, max} per sampler step,
 *   `executed` {node, output: {images}} for SaveImage, `execution_success`, then `executing`
 *   {node: null} (main.py's prompt_worker). A failure: `execution_error` {node_id, node_type,
 *   exception_message, exception_type, traceback} (provoked by a prompt text containing `!error`);
 *   POST /interrupt: `execution_interrupted` — each followed by `executing` {node: null}.
 * - An identical prompt queued again is served from the cache: every node cached, nothing written.
 * - SaveImage writes `ComfyUI_NNNNN_.png` in place (PIL writes straight to the final name, so the
 *   file exists half-written for a moment), with `prompt` and `workflow` tEXt chunks.
 * - GET /history/{id}: {id: {prompt, outputs: {node: {images: [{filename, subfolder, type}]}},
 *   status: {status_str, completed, messages}}}; GET /system_stats; GET /object_info is not served.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
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
}

const KNOWN = new Set(['CheckpointLoaderSimple', 'UNETLoader', 'CLIPLoader', 'VAELoader', 'CLIPTextEncode', 'EmptyLatentImage', 'EmptySD3LatentImage', 'KSampler', 'KSamplerAdvanced', 'VAEDecode', 'SaveImage', 'ModelSamplingAuraFlow', 'ConditioningZeroOut']);
const OUTPUT = new Set(['SaveImage']);

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

export interface FakeComfy {
  url: string;
  server: Server;
  prompts: { id: string; prompt: Graph; clientId: string }[];
  interrupts: number;
  close(): Promise<void>;
}

export async function startFakeComfy(o: FakeComfyOptions): Promise<FakeComfy> {
  const stepMs = o.stepMs ?? 20;
  const clients = new Map<string, WebSocket>();
  const history = new Map<string, unknown>();
  const seen = new Set<string>();
  let number = 0;
  let queue: Promise<void> = Promise.resolve();
  let interrupted = false;
  let loaded = false;
  const fake: FakeComfy = { url: '', server: undefined as unknown as Server, prompts: [], interrupts: 0, close: async () => undefined };
  mkdirSync(o.outDir, { recursive: true });
  const send = (clientId: string, type: string, data: unknown) => {
    const ws = clients.get(clientId);
    if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type, data }));
  };
  const nextName = () => {
    const nums = readdirSync(o.outDir).map((f) => /^ComfyUI_(\d{5})_\.png$/.exec(f)?.[1]).filter(Boolean).map(Number);
    return `ComfyUI_${String((nums.length ? Math.max(...nums) : 0) + 1).padStart(5, '0')}_.png`;
  };

  async function execute(id: string, graph: Graph, clientId: string): Promise<void> {
    const ts = () => Date.now();
    const messages: [string, unknown][] = [];
    const emit = (type: string, data: Record<string, unknown>) => {
      if (['execution_start', 'execution_cached', 'execution_success', 'execution_error', 'execution_interrupted'].includes(type)) messages.push([type, data]);
      send(clientId, type, data);
    };
    const outputs: Record<string, { images: { filename: string; subfolder: string; type: string }[] }> = {};
    let status = 'success';
    interrupted = false;
    emit('execution_start', { prompt_id: id, timestamp: ts() });
    const key = JSON.stringify(graph);
    const ids = Object.keys(graph);
    if (seen.has(key)) {
      emit('execution_cached', { nodes: ids, prompt_id: id, timestamp: ts() });
    } else {
      emit('execution_cached', { nodes: [], prompt_id: id, timestamp: ts() });
      try {
        const order = [...ids.filter((k) => !OUTPUT.has(graph[k].class_type) && !/Sampler|Decode/.test(graph[k].class_type)), ...ids.filter((k) => /Sampler/.test(graph[k].class_type)), ...ids.filter((k) => /Decode/.test(graph[k].class_type)), ...ids.filter((k) => OUTPUT.has(graph[k].class_type))];
        for (const nid of order) {
          const n = graph[nid];
          send(clientId, 'executing', { node: nid, display_node: nid, prompt_id: id });
          if (/Loader/.test(n.class_type) && !loaded) {
            simPhase(o.simActivityFile, 'load', false);
            await sleep(o.loadMs ?? 100);
            loaded = true;
          }
          if (n.class_type === 'CLIPTextEncode' && String(n.inputs.text ?? '').includes('!error')) {
            throw Object.assign(new Error('Error while deserializing header: HeaderTooLarge'), { nodeId: nid, nodeType: n.class_type, type: 'SafetensorError' });
          }
          if (/Sampler/.test(n.class_type)) {
            const steps = Number(n.inputs.steps ?? 20);
            simPhase(o.simActivityFile, 'compute', true);
            for (let s = 1; s <= steps; s++) {
              await sleep(stepMs);
              if (interrupted) throw Object.assign(new Error('interrupted'), { interrupted: true, nodeId: nid, nodeType: n.class_type });
              send(clientId, 'progress', { value: s, max: steps, prompt_id: id, node: nid });
            }
          }
          if (n.class_type === 'SaveImage') {
            simPhase(o.simActivityFile, 'save', true);
            const latent = Object.values(graph).find((x) => /^Empty.*LatentImage$/.test(x.class_type));
            const batch = Number(latent?.inputs.batch_size ?? 1);
            const images = [];
            for (let b = 0; b < batch; b++) {
              const filename = nextName();
              const data = pngFile(o.pixels ?? 64, o.pixels ?? 64, [['prompt', JSON.stringify(graph)], ['workflow', JSON.stringify({ last_node_id: ids.length, nodes: [], links: [] })]], number + b) as Buffer;
              // in place, not atomic: the first part lands, then the rest
              const file = join(o.outDir, filename);
              writeFileSync(file, data.subarray(0, data.length >> 1));
              await sleep(30);
              appendFileSync(file, data.subarray(data.length >> 1));
              images.push({ filename, subfolder: '', type: 'output' });
            }
            outputs[nid] = { images };
            send(clientId, 'executed', { node: nid, display_node: nid, output: { images }, prompt_id: id });
          }
        }
        seen.add(key);
        emit('execution_success', { prompt_id: id, timestamp: ts() });
      } catch (err) {
        const e = err as Error & { nodeId?: string; nodeType?: string; type?: string; interrupted?: boolean };
        if (e.interrupted) {
          status = 'error';
          emit('execution_interrupted', { prompt_id: id, node_id: e.nodeId, node_type: e.nodeType, executed: [], timestamp: ts() });
        } else {
          status = 'error';
          emit('execution_error', { prompt_id: id, node_id: e.nodeId, node_type: e.nodeType, executed: [], exception_message: e.message, exception_type: e.type ?? 'Exception', traceback: ['  File "execution.py", line 316, in execute\n'], current_inputs: {}, current_outputs: {}, timestamp: ts() });
        }
      }
    }
    simPhase(o.simActivityFile, 'idle', true);
    history.set(id, { prompt: [number, id, graph, { client_id: clientId }, ids.filter((k) => OUTPUT.has(graph[k].class_type))], outputs, status: { status_str: status, completed: status === 'success', messages }, meta: {} });
    send(clientId, 'executing', { node: null, prompt_id: id });
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/system_stats') {
      return sendJson(res, 200, { system: { os: 'posix', ram_total: 32e9, ram_free: 20e9, comfyui_version: '0.3.75', python_version: '3.12.3', pytorch_version: '2.7.1+cu128', embedded_python: false, argv: ['main.py', '--listen'] }, devices: [{ name: 'cuda:0 NVIDIA GeForce RTX 3060 : cudaMallocAsync', type: 'cuda', index: 0, vram_total: 12e9, vram_free: 11e9, torch_vram_total: 0, torch_vram_free: 0 }] });
    }
    if (req.method === 'POST' && url.pathname === '/interrupt') {
      fake.interrupts++;
      interrupted = true;
      await readBody(req);
      return sendJson(res, 200, {});
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
      if (!g || typeof g !== 'object') return sendJson(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
      for (const [nid, n] of Object.entries(g)) {
        if (!n || !KNOWN.has(n.class_type)) return sendJson(res, 400, { error: { type: 'invalid_prompt', message: `Cannot execute because node ${n?.class_type} does not exist.`, details: `Node ID '#${nid}'`, extra_info: {} }, node_errors: {} });
      }
      if (!Object.values(g).some((n) => OUTPUT.has(n.class_type))) return sendJson(res, 400, { error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, node_errors: [] });
      const id = randomUUID();
      const clientId = body.client_id ?? '';
      fake.prompts.push({ id, prompt: g, clientId });
      const n = number++;
      queue = queue.then(() => execute(id, g, clientId));
      return sendJson(res, 200, { prompt_id: id, number: n, node_errors: {} });
    }
    // aiohttp's own 404: plain text
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404: Not Found');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') ?? randomUUID().replace(/-/g, '');
      clients.set(sid, ws);
      ws.on('close', () => clients.delete(sid));
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid } }));
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
