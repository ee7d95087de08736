/** `genwatt serve`: argument checks, log lines, signals. */
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { ProbeName } from '../../probes/types.js';
import { ServeNode, type ServeConfig } from './serve-node.js';
import type { RotateMode } from './recordings.js';

export class ServeUsageError extends Error {}

/** `HOST:PORT`, `[V6]:PORT` or `PORT` (loopback). */
export function parseListen(s: string): { host: string; port: number } {
  if (/^\d+$/.test(s.trim())) return parseListen(`127.0.0.1:${s.trim()}`);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))?:?(\d+)$/.exec(s.trim());
  const host = m ? (m[1] ?? m[2] ?? '127.0.0.1') : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535) || (m[1] && isIP(m[1]) !== 6)) throw new ServeUsageError(`--listen must be HOST:PORT, [IPv6]:PORT or PORT, got ${JSON.stringify(s)}`);
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export interface ServeArgs {
  probe?: ProbeName[];
  'sim-gpus'?: number;
  interval: number;
  idle: number;
  watch?: string[];
  'record-dir'?: string;
  rotate: string;
  'run-gap': number;
  'batch-gap'?: number;
  warmup: number;
  listen: string;
  node?: string;
  'counter-interval'?: number;
  'max-file-minutes': number;
}

export function serveConfig(a: ServeArgs): ServeConfig {
  // Given twice, the last one wins (as for every other option).
  const listen = String(Array.isArray(a.listen) ? a.listen.at(-1) : a.listen);
  const { host, port } = parseListen(listen);
  if (a.rotate !== 'run' && a.rotate !== 'hour') throw new ServeUsageError(`--rotate must be run or hour, got ${JSON.stringify(a.rotate)}`);
  if (!(a['run-gap'] > 0)) throw new ServeUsageError(`--run-gap must be a positive number of seconds, got ${a['run-gap']}`);
  if (!(a.interval > 0)) throw new ServeUsageError(`--interval must be a positive number of milliseconds, got ${a.interval}`);
  if (!(a['max-file-minutes'] > 0 && a['max-file-minutes'] <= 1440)) throw new ServeUsageError(`--max-file-minutes must be more than 0 and at most 1440, got ${a['max-file-minutes']}`);
  if (!(a.idle >= 0)) throw new ServeUsageError(`--idle must be 0 or more seconds, got ${a.idle}`);
  const sim = a['sim-gpus'];
  if (sim !== undefined && !(Number.isInteger(sim) && sim >= 1 && sim <= 64)) throw new ServeUsageError(`--sim-gpus must be a whole number from 1 to 64, got ${sim}`);
  return {
    probes: a.probe,
    simGpus: sim,
    intervalMs: a.interval,
    idleSeconds: a.idle,
    watch: a.watch ?? [],
    recordDir: a['record-dir'] ?? null,
    rotate: a.rotate as RotateMode,
    runGapMs: a['run-gap'] * 1000,
    batchGapMs: a['batch-gap'] ?? null,
    warmupBatches: a.warmup,
    host,
    port,
    node: a.node ?? hostname(),
    counterIntervalMs: a['counter-interval'] ?? null,
    maxFileMs: a['max-file-minutes'] * 60_000,
  };
}

/** Runs until SIGINT, SIGTERM or SIGHUP; returns the exit code. */
export async function runServe(a: ServeArgs): Promise<number> {
  const config = serveConfig(a);
  const say = (m: string) => process.stdout.write(`genwatt serve: ${m}\n`);
  const node = new ServeNode(config);
  node.on('log', say);
  await node.start();
  const gpus = node.devices.filter((d) => !d.host);
  say(`node ${config.node}: ${gpus.length} GPU${gpus.length === 1 ? '' : 's'} (${gpus.map((d) => `${d.id} ${d.name} via ${d.probe}`).join('; ')})`);
  if (gpus.some((d) => d.simulated)) say('the simulated GPU is not real hardware: its numbers are a demo');
  say(`listening on ${node.url}/metrics`);
  if (!isLoopback(config.host)) say(`${config.host} is reachable from other machines: you chose --listen ${config.host}:${config.port}; put a firewall or an authenticating proxy in front`);
  say(config.recordDir ? `recording into ${config.recordDir} (one file per run, at most ${a['max-file-minutes']} min each${config.rotate === 'hour' ? ', split at each clock hour, plus an hourly monitor file' : ''})` : 'not recording (--record-dir DIR to keep sessions)');
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      say(`${sig}: stopping`);
      resolve();
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => stop(s));
  });
  await node.stop();
  say('stopped');
  return 0;
}
