/**
 * `serve`'s HTTP endpoints (node:http, GET/HEAD only): `/metrics` (Prometheus text), `/healthz`,
 * `/api/sessions` (the record folder's sessions) and `/api/sessions/NAME` (one session's JSON; an
 * unfinished journal is read into the same document `report` reads).
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { readSession } from '../session/reader.js';

export interface HttpOptions {
  registry: Registry;
  recordDir: string | null;
  health: () => Record<string, unknown>;
}

export interface SessionEntry {
  name: string;
  bytes: number;
  modified: string;
  /** False for a journal: being recorded now, or left by a genwatt that was killed. */
  complete: boolean;
  url: string;
}

const SESSION_NAME = /^[^/\\]+\.jsonl?$/;

export async function listSessions(dir: string): Promise<SessionEntry[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: SessionEntry[] = [];
  for (const name of names) {
    if (!SESSION_NAME.test(name) || name.startsWith('.')) continue;
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (!st?.isFile()) continue;
    out.push({ name, bytes: st.size, modified: st.mtime.toISOString(), complete: name.endsWith('.json'), url: `/api/sessions/${encodeURIComponent(name)}` });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const json = (res: ServerResponse, status: number, v: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(v) + '\n');

async function handle(req: IncomingMessage, res: ServerResponse, o: HttpOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return json(res, 405, { error: `${req.method} is not supported; use GET` });
  }
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/metrics') return send(res, 200, o.registry.contentType, await o.registry.metrics());
  if (path === '/healthz') return json(res, 200, { status: 'ok', ...o.health() });
  if (path === '/api/sessions' || path === '/api/sessions/') {
    if (!o.recordDir) return json(res, 200, { recordDir: null, sessions: [], note: 'not recording (start serve with --record-dir DIR)' });
    return json(res, 200, { recordDir: o.recordDir, sessions: await listSessions(o.recordDir) });
  }
  if (path.startsWith('/api/sessions/')) {
    let name: string;
    try {
      name = decodeURIComponent(path.slice('/api/sessions/'.length));
    } catch {
      return json(res, 400, { error: 'bad session name' });
    }
    if (!o.recordDir || !SESSION_NAME.test(name) || name.startsWith('.')) return json(res, 404, { error: `no session ${JSON.stringify(name)}` });
    const file = join(o.recordDir, name);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return json(res, 404, { error: `no session ${JSON.stringify(name)}` });
    if (name.endsWith('.json')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': st.size, 'cache-control': 'no-store' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
      return;
    }
    try {
      const loaded = await readSession(file);
      return json(res, 200, loaded.doc);
    } catch (err) {
      return json(res, 422, { error: (err as Error).message });
    }
  }
  if (path === '/') return send(res, 200, 'text/plain; charset=utf-8', 'genwatt serve\n  /metrics        Prometheus metrics\n  /healthz        health\n  /api/sessions   recorded sessions\n');
  return json(res, 404, { error: `no such endpoint: ${path}` });
}

/** Starts listening; resolves with the bound address (port 0 picks a free one). */
export async function startHttp(host: string, port: number, o: HttpOptions): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65000; // Prometheus keeps its connections
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, address: server.address() as AddressInfo };
}
