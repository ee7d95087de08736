/**
 * ComfyUI's websocket (`/ws?clientId=`) and what it says about one prompt of ours. Read from
 * ComfyUI 0.3.64 (execution.py PromptExecutor.execute_async / execute, main.py prompt_worker) and
 * checked against the real server (test/src/backends/comfyui-real.test.ts):
 * - `execution_cached` lists every node of the prompt served from the cache, once, before any runs;
 * - a node that runs sends `executing {node}`; an output node sends `executed {node, output}`, and a
 *   CACHED output node sends `executed` too, with its old outputs (execute(): caches.ui), so the
 *   files of cached nodes are not this prompt's;
 * - `execution_success`, then `executing {node: null}` once main.py has written the history entry;
 * - `execution_error` / `execution_interrupted` end a prompt that failed or was stopped.
 */
import type { BackendConfig } from './backend-types.js';
import { BackendError, oneLine, secondsText } from './http.js';
import type { ComfyGraph } from './comfyui-backend.js';

const WHAT = 'ComfyUI';

/** A file an output node saved: `executed`'s `output.images[]` (nodes.py SaveImage.save_images). */
export interface SavedFile {
  filename: string;
  subfolder: string;
  type: string;
}

export interface WsMessage {
  type: string;
  data?: {
    prompt_id?: string;
    node?: string | null;
    nodes?: string[];
    value?: number;
    max?: number;
    output?: { images?: unknown[] } | null;
    exception_message?: string;
    exception_type?: string;
    node_id?: string;
    node_type?: string;
  };
}

export type Outcome =
  | { ok: true; files: SavedFile[]; ran: number; cached: string[] }
  | { ok: false; interrupted: boolean; message: string; dequeued?: boolean; files: SavedFile[] };

/** Messages kept for a prompt whose waiter is not listening yet (a cached prompt ends within the /prompt round trip). */
const BACKLOG = 512;

/** The websocket, its message listeners, the messages that came before a listener, and how it closed. */
export interface Socket {
  ws: import('ws').WebSocket;
  listeners: Set<(m: WsMessage) => void>;
  backlog: WsMessage[];
  closed: () => Error | undefined;
  closeWaiters: Set<(e: Error) => void>;
}

export async function openSocket(url: string, auth: BackendConfig['auth']): Promise<Socket> {
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

/** The saved files of one `executed` output (`images`, any other list of files is not an image). */
export function savedFiles(output: { images?: unknown[] } | null | undefined): SavedFile[] {
  const out: SavedFile[] = [];
  for (const im of output?.images ?? []) {
    if (!im || typeof im !== 'object') continue;
    const { filename, subfolder, type } = im as Record<string, unknown>;
    if (typeof filename !== 'string' || filename === '') continue;
    out.push({ filename, subfolder: typeof subfolder === 'string' ? subfolder : '', type: typeof type === 'string' ? type : 'output' });
  }
  return out;
}

/**
 * Waits for our prompt's end: `executing` null (history written), or an error / interrupt. The files
 * are those of the output nodes that ran (not those served from the cache); `ran` counts the nodes
 * that ran. `step` gets progress; `giveUp` receives the function that ends the wait for a prompt Stop
 * took off the queue (it sends no message at all). A timeout rejects with a 'timeout' BackendError.
 */
export function followPrompt(
  sock: Socket,
  id: string,
  graph: ComfyGraph,
  timeoutMs: number,
  step: (value: number | null, max: number | undefined) => void,
  giveUp: (f: () => void) => void,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let success = false;
    let ran = 0;
    const cached = new Set<string>();
    const files: SavedFile[] = [];
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
      if (m.type === 'execution_cached') for (const n of m.data.nodes ?? []) cached.add(n);
      else if (m.type === 'executing' && typeof m.data.node === 'string' && !cached.has(m.data.node)) ran++;
      else if (m.type === 'executed' && typeof m.data.node === 'string' && !cached.has(m.data.node)) files.push(...savedFiles(m.data.output));
      else if (m.type === 'progress') step(m.data.value ?? null, m.data.max);
      else if (m.type === 'execution_success') success = true;
      else if (m.type === 'executing' && m.data.node === null)
        done(() =>
          resolve(
            success
              ? { ok: true, files, ran, cached: [...cached] }
              : { ok: false, interrupted: false, message: `${WHAT} ended prompt ${id} without success`, files },
          ),
        );
      else if (m.type === 'execution_error')
        done(() =>
          resolve({
            ok: false,
            interrupted: false,
            files,
            message: oneLine(
              `${WHAT}: node ${m.data?.node_id ?? '?'} (${m.data?.node_type ?? '?'}) failed: ${m.data?.exception_type ? `${m.data.exception_type}: ` : ''}${m.data?.exception_message ?? 'no message'}`,
              400,
            ),
          }),
        );
      else if (m.type === 'execution_interrupted') done(() => resolve({ ok: false, interrupted: true, message: 'interrupted', files }));
    };
    giveUp(() => done(() => resolve({ ok: false, interrupted: true, message: 'removed from the queue', dequeued: true, files })));
    sock.listeners.add(on);
    // What already came for this prompt while /prompt was answering.
    for (const m of sock.backlog.filter((x) => x.data?.prompt_id === id)) if (sock.listeners.has(on)) on(m);
    const closed = sock.closed();
    if (closed) onClose(closed);
    else sock.closeWaiters.add(onClose);
  });
}

/** What the graph's cached nodes were, for a message: `node 3 (SaveImage), node 2 (ImageAddNoise)`. */
export function nodesText(graph: ComfyGraph, ids: readonly string[], max = 6): string {
  const shown = ids.slice(0, max).map((n) => `node ${n} (${graph[n]?.class_type ?? '?'})`);
  return ids.length > max ? `${shown.join(', ')} and ${ids.length - max} more` : shown.join(', ');
}
