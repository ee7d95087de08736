/** Starts a real `genwatt serve` process and reads its endpoints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, waitFor } from './gen.js';

export interface ServeProc {
  child: ChildProcess;
  url: string;
  log: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export async function startServe(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ServeProc> {
  const child = spawn(process.execPath, [CLI, 'serve', ...(args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0']), ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  child.once('exit', () => (gone = true));
  await waitFor(() => /listening on (\S+)\/metrics/.test(out) || gone, opts.timeoutMs ?? 15000);
  const m = /listening on (\S+)\/metrics/.exec(out);
  if (!m) throw new Error(`serve did not start:\n${out}`);
  return {
    child,
    url: m[1],
    log: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (what a scraper reads). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`not a metric line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

export function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const s = samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s.length ? s.reduce((a, x) => a + x.value, 0) : undefined;
}
