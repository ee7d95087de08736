/**
 * `genwatt report http://node:9464 …`: every finished session a node's `serve` lists at
 * `/api/sessions` (optionally only those modified since a date), downloaded into `--save DIR` (only
 * what DIR lacks) or a temporary folder, then read like local files. A node that cannot be reached
 * is named with the reason; the others are still reported.
 */
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

/** Largest session file fetched from a node (a day of 10 Hz samples on 8 GPUs is well below). */
const MAX_SESSION_BYTES = 4 * 1024 ** 3;
const LIST_TIMEOUT_MS = 15_000;
/** Largest session list read from a node (a node with 100 000 sessions lists well under this). */
export const MAX_LIST_BYTES = 32 * 1024 ** 2;

/** A response body as text, refused as soon as it passes `maxBytes` (an endless or huge answer). */
async function textCapped(body: AsyncIterable<Uint8Array> | null, maxBytes: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const c of body ?? []) {
    bytes += c.length;
    if (bytes > maxBytes) throw new Error(`${what} is larger than ${maxBytes / 1024 ** 2} MiB`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks).toString('utf8');
}
const FILE_TIMEOUT_MS = 10 * 60_000;

export interface FleetFetch {
  /** Local files to read, in the nodes' order. */
  files: string[];
  /** One line per node that could not be read, or session that could not be fetched. */
  problems: string[];
  /** Removes the temporary folder (when no --save DIR). */
  cleanup(): void;
}

interface Listed {
  name: string;
  modified?: string;
  complete?: boolean;
  url?: string;
}

function nodeLabel(base: string): string {
  return new URL(base).host.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

async function download(url: string, file: string): Promise<void> {
  const { fetch, Agent } = await import('undici');
  const res = await fetch(url, {
    dispatcher: new Agent({ headersTimeout: FILE_TIMEOUT_MS, bodyTimeout: FILE_TIMEOUT_MS }),
    signal: AbortSignal.timeout(FILE_TIMEOUT_MS),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  let bytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(bytes > MAX_SESSION_BYTES ? new Error(`larger than ${MAX_SESSION_BYTES} bytes`) : null, chunk);
    },
  });
  const tmp = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(res.body as ReadableStream<Uint8Array>), cap, createWriteStream(tmp, { flags: 'wx' }));
    const { renameSync } = await import('node:fs');
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Fetches the finished sessions of each node URL into `saveDir` (or a temp folder). */
export async function fetchFleet(urls: readonly string[], o: { since?: Date; saveDir?: string }): Promise<FleetFetch> {
  const dir = o.saveDir ?? mkdtempSync(join(tmpdir(), 'genwatt-fleet-'));
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const problems: string[] = [];
  const { fetch, Agent } = await import('undici');
  const agent = new Agent({ headersTimeout: LIST_TIMEOUT_MS, bodyTimeout: LIST_TIMEOUT_MS, connectTimeout: LIST_TIMEOUT_MS });
  for (const raw of urls) {
    const base = raw
      .replace(/\/+$/, '')
      .replace(/\/api\/sessions$/, '')
      .replace(/\/metrics$/, '');
    let list: Listed[];
    try {
      const res = await fetch(`${base}/api/sessions`, { dispatcher: agent, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status} on /api/sessions`);
      const body = JSON.parse(await textCapped(res.body as AsyncIterable<Uint8Array> | null, MAX_LIST_BYTES, '/api/sessions')) as { sessions?: Listed[] };
      if (!Array.isArray(body?.sessions)) throw new Error('/api/sessions did not list sessions: is this genwatt serve?');
      list = body.sessions;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      problems.push(
        `${raw}: cannot read its sessions (${e.cause?.code === 'ECONNREFUSED' ? 'connection refused' : (e.cause?.code ?? e.message)}): not reported`,
      );
      continue;
    }
    const node = nodeLabel(base);
    for (const s of list) {
      if (!s.complete || typeof s.name !== 'string' || !/^[A-Za-z0-9._-]+\.json$/.test(s.name)) continue;
      if (o.since && s.modified && new Date(s.modified) < o.since) continue;
      const file = join(dir, `${node}-${s.name}`);
      if (!existsSync(file)) {
        try {
          await download(`${base}/api/sessions/${encodeURIComponent(s.name)}`, file);
        } catch (err) {
          problems.push(`${raw}: ${s.name} could not be fetched (${(err as Error).message})`);
          continue;
        }
      }
      files.push(file);
    }
  }
  await agent.close();
  return { files, problems, cleanup: () => (o.saveDir ? undefined : rmSync(dir, { recursive: true, force: true })) };
}
