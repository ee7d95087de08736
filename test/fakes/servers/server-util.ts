/** What both fake generation servers share: JSON answers, request bodies, loopback listening, the simulated GPU's phase. */
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Tells the simulated GPU what a fake server is doing (the same file protocol as the demo generator). */
export function simPhase(file: string | undefined, phase: 'load' | 'compute' | 'save' | 'idle', loaded: boolean): void {
  if (!file) return;
  try {
    writeFileSync(file, `${phase} ${Date.now()}${loaded ? ' loaded' : ''}\n`);
  } catch {
    // the simulated GPU is optional
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (b += c));
    req.on('end', () => resolve(b));
  });
}

/** Listens on a free loopback port; resolves with the base URL. */
export async function listenLoopback(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}
