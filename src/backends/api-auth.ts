/**
 * HTTP Basic credentials for servers started with `--api-auth user:password` (A1111/Forge
 * modules/api/api.py Api.auth, every /sdapi route) or behind a proxy that asks for them (ComfyUI
 * has none of its own). They come from `--api-auth-file FILE` (one line `user:password`) or the
 * GENWATT_API_AUTH environment variable, never from the URL or the command line, so they are
 * never recorded or printed (GENWATT_API_AUTH's value is also among the redactor's secrets).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ApiAuth {
  user: string;
  /** `Basic base64(user:password)`. */
  header: string;
  /** Where they came from, for messages (never the values). */
  source: string;
}

export class ApiAuthError extends Error {}

/** A credentials file is one short line: anything longer is not one. */
const MAX_FILE_BYTES = 4096;

function parse(text: string, source: string): ApiAuth {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (!line) throw new ApiAuthError(`${source} is empty: it must hold one line user:password`);
  const t = line.trim();
  const colon = t.indexOf(':');
  if (colon <= 0 || colon === t.length - 1) throw new ApiAuthError(`${source} must hold user:password (one line, the user before the first colon)`);
  return { user: t.slice(0, colon), header: `Basic ${Buffer.from(t, 'utf8').toString('base64')}`, source };
}

function readCredentialsFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new ApiAuthError(
      `--api-auth-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ApiAuthError(`--api-auth-file ${file} is not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw new ApiAuthError(`--api-auth-file ${file} is ${st.size} bytes: it must hold one line user:password`);
    const buf = Buffer.alloc(MAX_FILE_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** The credentials to send, or null when none are given. Throws ApiAuthError with what is wrong. */
export function loadApiAuth(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ApiAuth | null {
  if (file !== undefined && file !== '') return parse(readCredentialsFile(file), `--api-auth-file ${file}`);
  const v = env.GENWATT_API_AUTH;
  if (v !== undefined && v !== '') return parse(v, 'GENWATT_API_AUTH');
  return null;
}
