/**
 * HTTP for the server backends: undici's fetch with a dispatcher whose header and body timeouts are
 * the request's own (Node's built-in fetch gives up on response headers after 300 s whatever the
 * caller wants, and a Forge txt2img call answers only when the whole batch is done), optional HTTP
 * Basic credentials, and errors that say what went wrong in one line.
 */
import type { Dispatcher } from 'undici';
import type { ApiAuth } from './api-auth.js';

export class BackendError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'timeout' | 'wrong-api' | 'http' | 'server' | 'usage' | 'auth',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why a fetch failed, from undici's error chain (ECONNREFUSED, ENOTFOUND, …). */
function networkReason(err: unknown): string {
  let e = err as { code?: string; cause?: unknown; message?: string } | undefined;
  let deepest = (err as Error)?.message ?? String(err);
  for (let i = 0; e && i < 5; i++) {
    if (e.code)
      return e.code === 'ECONNREFUSED'
        ? 'connection refused'
        : e.code === 'ENOTFOUND'
          ? 'host not found'
          : e.code === 'ECONNRESET'
            ? 'connection reset'
            : e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT'
              ? 'timed out'
              : e.code;
    if (e.message) deepest = e.message;
    e = e.cause as typeof e;
  }
  return deepest;
}

export const secondsText = (ms: number): string => `${ms < 10000 ? +(ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

/** undici, loaded on the first request (the dashboard and monitor never pay for it). */
let undici: typeof import('undici') | undefined;
async function loadUndici(): Promise<typeof import('undici')> {
  undici ??= await import('undici');
  return undici;
}

/** One dispatcher per timeout: a request lives exactly as long as its timeout says, never less. */
const agents = new Map<number, Dispatcher>();
function agentFor(Agent: typeof import('undici').Agent, timeoutMs: number): Dispatcher {
  let a = agents.get(timeoutMs);
  if (!a) {
    // The abort timer below ends the request at timeoutMs; undici's own timers only must not fire first.
    const t = timeoutMs + 5000;
    a = new Agent({ headersTimeout: t, bodyTimeout: t, connectTimeout: Math.min(t, 15000), keepAliveTimeout: 4000 });
    agents.set(timeoutMs, a);
  }
  return a;
}

export interface JsonResult<T> {
  status: number;
  body: T;
}

/** Text a server answered, as one line of at most `max` characters. */
export function oneLine(s: string, max = 240): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * The server's own words for a failed request, as one line:
 * - A1111 api_middleware handle_exception: {error, detail, body, errors};
 * - FastAPI HTTPException / Forge Neo: {detail} (a string, or a 422 list of {loc, msg});
 * - ComfyUI: {error: {type, message, details}} or {error: "text"}.
 */
export function errorDetail(body: unknown, text: string): string {
  if (body === undefined || body === null || typeof body !== 'object') return oneLine(text.replace(/<[^>]*>/g, ' '), 200);
  const b = body as { error?: unknown; detail?: unknown; errors?: unknown; message?: unknown };
  const parts: string[] = [];
  const add = (x: unknown) => {
    if (x === undefined || x === null || x === '') return;
    if (typeof x === 'string') parts.push(x);
    else if (Array.isArray(x))
      parts.push(
        x
          .map((d) =>
            d && typeof d === 'object' && 'msg' in d
              ? `${Array.isArray((d as { loc?: unknown[] }).loc) ? `${(d as { loc: unknown[] }).loc.join('.')}: ` : ''}${String((d as { msg: unknown }).msg)}`
              : JSON.stringify(d),
          )
          .join('; '),
      );
    else if (typeof x === 'object' && 'message' in x) {
      const e = x as { message: unknown; details?: unknown };
      parts.push(String(e.message) + (e.details ? `: ${String(e.details)}` : ''));
    } else parts.push(JSON.stringify(x));
  };
  add(b.error);
  add(b.detail);
  // `errors` is str(exception): often the detail again with the status in front ("401: Not authenticated").
  if (typeof b.errors === 'string' && !parts.some((p) => b.errors === p || (b.errors as string).endsWith(`: ${p}`))) add(b.errors);
  else if (b.errors !== undefined && typeof b.errors !== 'string') add(b.errors);
  add(b.message);
  return oneLine([...new Set(parts)].join(': '));
}

/**
 * Requests `url` and parses JSON. Throws BackendError: unreachable (with the reason), timeout,
 * auth (401/403, naming where credentials go), wrong-api (404 / not JSON, with `what` naming the API
 * expected), http (4xx/5xx with the server's own detail, one line).
 */
export async function requestJson<T>(
  what: string,
  url: string,
  init: { method?: string; body?: unknown; timeoutMs: number; signal?: AbortSignal; auth?: ApiAuth | null; accept?: (status: number) => boolean },
): Promise<JsonResult<T>> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('timeout')), init.timeoutMs);
  const onAbort = () => ctl.abort(init.signal?.reason);
  init.signal?.addEventListener('abort', onAbort, { once: true });
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.auth) headers.authorization = init.auth.header;
  const { Agent, fetch } = await loadUndici();
  let res: Awaited<ReturnType<typeof fetch>>;
  let text: string;
  try {
    res = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: ctl.signal,
      dispatcher: agentFor(Agent, init.timeoutMs),
    });
    text = await res.text().catch(() => '');
  } catch (err) {
    if (ctl.signal.aborted && !init.signal?.aborted)
      throw new BackendError(`${what} at ${url}: no answer within ${secondsText(init.timeoutMs)}`, 'timeout', { cause: err });
    throw new BackendError(`cannot reach ${what} at ${url} (${networkReason(err)})`, 'unreachable', { cause: err });
  } finally {
    clearTimeout(timer);
    init.signal?.removeEventListener('abort', onAbort);
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  const path = new URL(url).pathname;
  if (res.status === 401 || res.status === 403) {
    const detail = errorDetail(body, text);
    throw new BackendError(
      init.auth
        ? `${what} rejected the --api-auth credentials (HTTP ${res.status} on ${path}${detail ? `: ${detail}` : ''})`
        : `${what} wants --api-auth credentials (HTTP ${res.status} on ${path}): give them as user:password in --api-auth-file FILE or the GENWATT_API_AUTH environment variable`,
      'auth',
    );
  }
  if (init.accept?.(res.status)) return { status: res.status, body: body as T };
  if (res.status === 404 && (body === undefined || (body as { detail?: string })?.detail === 'Not Found'))
    throw new BackendError(`${url} is not the ${what} API (404 Not Found)`, 'wrong-api');
  if (!res.ok) {
    const detail = errorDetail(body, text);
    throw new BackendError(`${what} answered HTTP ${res.status} on ${path}${detail ? `: ${detail}` : ''}`, 'http');
  }
  if (body === undefined) throw new BackendError(`${url} answered something that is not JSON: is this the ${what} API? (${oneLine(text, 80)})`, 'wrong-api');
  return { status: res.status, body: body as T };
}
