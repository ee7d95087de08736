/**
 * `serve`'s HTTP endpoints (node:http, GET/HEAD only): `/metrics` (Prometheus text), `/healthz`,
 * `/api/sessions` (the record folder's sessions) and `/api/sessions/NAME` (one session's JSON; an
 * unfinished journal is read into the same document `report` reads).
 *
 * It faces a network: only regular files directly in the record folder are listed and served (no
 * symlink is followed: lstat, O_NOFOLLOW), no error text quotes a file's content, connections are
 * capped and slow ones timed out, and while bound to loopback only loopback or this node's own Host
 * names are answered (a DNS-rebinding page in a browser gets 421).
 */
import { constants, createReadStream } from 'node:fs';
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { JournalCache, removeStaleCaches } from './journal-cache.js';

export interface HttpOptions {
  registry: Registry;
  recordDir: string | null;
  health: () => { status: 'ok' | 'degraded'; [k: string]: unknown };
  /** Host names answered besides loopback and this node's names (`--allow-host`). */
  allowHosts?: string[];
  /** This node's name (`--node`), answered as a Host. */
  node?: string;
  /** Most open connections (default {@link DEFAULT_MAX_CONNECTIONS}). */
  maxConnections?: number;
}

/** Connections served at once; more are refused (Prometheus needs one or two). */
export const DEFAULT_MAX_CONNECTIONS = 64;

export interface SessionEntry {
  name: string;
  bytes: number;
  modified: string;
  /** False for a journal: being recorded now, or left by a genwatt that was killed. */
  complete: boolean;
  url: string;
}

const SESSION_NAME = /^[^/\\]+\.jsonl?$/;
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Regular session files directly in `dir`; a journal whose finished file exists is listed once, as the file. */
export async function listSessions(dir: string): Promise<SessionEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  const out: SessionEntry[] = [];
  for (const name of names) {
    if (!SESSION_NAME.test(name) || name.startsWith('.')) continue;
    if (name.endsWith('.jsonl') && names.has(name.slice(0, -1))) continue; // finished: the .json is the session
    const st = await lstat(join(dir, name)).catch(() => undefined);
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

/** Streams a file (an open handle, which the stream closes, or a path of genwatt's own) as the answer. */
function streamFile(res: ServerResponse, src: FileHandle | string, size: number): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': size, 'cache-control': 'no-store' });
  if (res.req.method === 'HEAD') {
    res.end();
    if (typeof src !== 'string') void src.close().catch(() => undefined);
    return;
  }
  const stream = typeof src === 'string' ? createReadStream(src) : src.createReadStream({ start: 0, autoClose: true });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** Host names this server answers while bound to loopback. */
function hostAllowed(req: IncomingMessage, o: HttpOptions): boolean {
  const raw = (req.headers.host ?? '').trim().toLowerCase();
  const host = raw.startsWith('[') ? raw.slice(1, raw.indexOf(']')) : raw.replace(/:\d+$/, '');
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith('.localhost')) return true;
  const own = [hostname(), o.node, ...(o.allowHosts ?? [])].filter(Boolean).map((h) => h!.toLowerCase());
  return own.includes(host);
}

async function session(req: IncomingMessage, res: ServerResponse, o: HttpOptions, cache: JournalCache, name: string): Promise<void> {
  const missing = () => json(res, 404, { error: `no session ${JSON.stringify(name)}` });
  if (!o.recordDir || !SESSION_NAME.test(name) || name.startsWith('.')) return missing();
  let fh: FileHandle;
  try {
    fh = await open(join(o.recordDir, name), OPEN_FLAGS);
  } catch {
    return missing(); // absent, a symlink (ELOOP), unreadable: not ours to serve
  }
  let keep = false;
  try {
    const st = await fh.stat();
    if (!st.isFile()) return missing();
    if (name.endsWith('.json')) {
      keep = true;
      return streamFile(res, fh, st.size);
    }
    let built: string;
    try {
      built = await cache.doc(fh.fd, name, st);
    } catch (err) {
      // The reader's messages name the line and the problem, never the file's content.
      return json(res, 422, { error: (err as Error).message });
    }
    const size = (await lstat(built)).size;
    return streamFile(res, built, size);
  } finally {
    if (!keep) await fh.close().catch(() => undefined);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, o: HttpOptions, cache: JournalCache, loopback: boolean): Promise<void> {
  if (loopback && !hostAllowed(req, o))
    return json(res, 421, { error: 'this genwatt serve answers only its loopback and node names (start it with --allow-host NAME to add one)' });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return json(res, 405, { error: `${req.method} is not supported; use GET` });
  }
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/metrics') return send(res, 200, o.registry.contentType, await o.registry.metrics());
  if (path === '/healthz') {
    return json(res, 200, o.health());
  }
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
    return session(req, res, o, cache, name);
  }
  if (path === '/')
    return send(
      res,
      200,
      'text/plain; charset=utf-8',
      'genwatt serve\n  /metrics        Prometheus metrics\n  /healthz        health\n  /api/sessions   recorded sessions\n',
    );
  return json(res, 404, { error: `no such endpoint: ${path}` });
}

const isLoopbackAddress = (a: string) => a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1';

/** Starts listening; resolves with the bound address (port 0 picks a free one). */
export async function startHttp(host: string, port: number, o: HttpOptions): Promise<{ server: Server; address: AddressInfo; close(): void }> {
  removeStaleCaches();
  const cache = new JournalCache();
  let loopback = true;
  // A client that sends no complete request within 5 s is dropped (checked every second), so idle
  // sockets cannot hold the capped connections for long.
  const server = createServer({ connectionsCheckingInterval: 1000, headersTimeout: 5000, requestTimeout: 30000 }, (req, res) => {
    handle(req, res, o, cache, loopback).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  server.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.keepAliveTimeout = 65000; // Prometheus keeps its connections
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      if (err.code === 'EADDRINUSE')
        reject(new Error(`${where} is already in use (another genwatt serve, or another program): choose another with --listen HOST:PORT`, { cause: err }));
      else if (err.code === 'EACCES')
        reject(new Error(`not allowed to listen on ${where} (ports below 1024 need privileges): choose another with --listen HOST:PORT`, { cause: err }));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new Error(`${host} is not an address of this machine: choose another with --listen HOST:PORT`, { cause: err }));
      else reject(err);
    });
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  loopback = isLoopbackAddress(address.address);
  return { server, address, close: () => cache.close() };
}
