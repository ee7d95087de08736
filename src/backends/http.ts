/** HTTP for the server backends: fetch with a timeout, and errors that say what went wrong in words. */

export class BackendError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'timeout' | 'wrong-api' | 'http' | 'server' | 'usage',
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
    if (e.code) return e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host not found' : e.code === 'ECONNRESET' ? 'connection reset' : e.code;
    if (e.message) deepest = e.message;
    e = e.cause as typeof e;
  }
  return deepest;
}

export const secondsText = (ms: number): string => `${ms < 10000 ? +(ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

export interface JsonResult<T> {
  status: number;
  body: T;
}

/**
 * Requests `url` and parses JSON. Throws BackendError: unreachable (with the reason), timeout,
 * wrong-api (404 / not JSON, with `what` naming the API expected), http (4xx/5xx with the server's
 * own detail).
 */
export async function requestJson<T>(what: string, url: string, init: { method?: string; body?: unknown; timeoutMs: number; signal?: AbortSignal }): Promise<JsonResult<T>> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('timeout')), init.timeoutMs);
  const onAbort = () => ctl.abort(init.signal?.reason);
  init.signal?.addEventListener('abort', onAbort, { once: true });
  let res: Response;
  try {
    res = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers: init.body === undefined ? undefined : { 'content-type': 'application/json' }, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: ctl.signal });
  } catch (err) {
    if (ctl.signal.aborted && !init.signal?.aborted) throw new BackendError(`${what} at ${url}: no answer within ${secondsText(init.timeoutMs)}`, 'timeout', { cause: err });
    throw new BackendError(`cannot reach ${what} at ${url} (${networkReason(err)})`, 'unreachable', { cause: err });
  } finally {
    clearTimeout(timer);
    init.signal?.removeEventListener('abort', onAbort);
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  if (res.status === 404 && (body === undefined || (body as { detail?: string })?.detail === 'Not Found')) throw new BackendError(`${url} is not the ${what} API (404 Not Found)`, 'wrong-api');
  if (!res.ok) {
    const b = body as { detail?: unknown; error?: unknown; errors?: unknown; message?: unknown } | undefined;
    const detail = b ? [b.error, b.detail, b.errors, b.message].filter((x) => x !== undefined && x !== null && x !== '').map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(': ') : text.slice(0, 200);
    throw new BackendError(`${what} answered HTTP ${res.status} on ${new URL(url).pathname}${detail ? `: ${detail.slice(0, 300)}` : ''}`, 'http');
  }
  if (body === undefined) throw new BackendError(`${url} answered something that is not JSON: is this the ${what} API? (${text.slice(0, 80).replace(/\s+/g, ' ')})`, 'wrong-api');
  return { status: res.status, body: body as T };
}
